using System.Text.Json;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Gateway;

/// <summary>
/// Passes a Messages API response through to the sandbox unchanged while reading its <c>usage</c>: from the
/// <c>message_start</c> and <c>message_delta</c> events of a stream (the delta's counts are the running totals, so
/// the last one seen stands) or from a JSON body. It is the model's own count, which nothing in a sandbox can change.
/// </summary>
internal sealed class UsageMeterStream(Stream inner, Func<bool> isEventStream) : Stream
{
    /// <summary>A JSON body or one event line longer than this is not read for usage (no real response comes near it).</summary>
    public const int MaxBuffered = 8 * 1024 * 1024;

    private readonly MemoryStream _pending = new();
    private bool? _stream;
    private bool _overflow;
    private string? _model;
    private long _input;
    private long _output;
    private long _cacheCreation;
    private long _cacheRead;
    private long _cacheOneHour;
    private bool _complete;

    /// <summary>What the response reported so far; a JSON body is read once it has all arrived.</summary>
    public BudgetUsage Usage
    {
        get
        {
            if (_stream == false && !_overflow && _pending.Length > 0)
            {
                ReadJson(_pending.ToArray(), message: true);
                _pending.SetLength(0);
            }

            return new BudgetUsage(_model, _input, _output, _cacheCreation, _cacheRead) { CacheCreationOneHourTokens = _cacheOneHour };
        }
    }

    /// <summary>
    /// Whether the response's final usage arrived: a stream's <c>message_delta</c> (or its <c>error</c> event), or a
    /// JSON body that parsed. A response cut short, by the sandbox closing its end or otherwise, is not complete.
    /// </summary>
    public bool Complete
    {
        get
        {
            _ = Usage;
            return _complete;
        }
    }

    /// <summary>
    /// The usage to charge: the reported one when complete, else the worst the request allowed (its whole
    /// <c>max_tokens</c> of output, and when not even the input was reported, one token per two bytes of request).
    /// </summary>
    public BudgetUsage Charge(ModelRequestFacts? request)
    {
        var usage = Usage;
        if (_complete)
        {
            return usage;
        }

        var input = usage.PromptTokens > 0 ? usage.InputTokens : (request?.Bytes ?? 0) / 2;
        return usage with
        {
            Model = usage.Model ?? request?.Model,
            InputTokens = input,
            OutputTokens = Math.Max(usage.OutputTokens, request?.MaxTokens ?? 0),
        };
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count)
    {
        inner.Write(buffer, offset, count);
        Take(buffer.AsSpan(offset, count));
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(buffer, cancellationToken);
        Take(buffer.Span);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Take(ReadOnlySpan<byte> bytes)
    {
        _stream ??= isEventStream();
        if (_stream == false)
        {
            Buffer(bytes);
            return;
        }

        while (bytes.Length > 0)
        {
            var end = bytes.IndexOf((byte)'\n');
            if (end < 0)
            {
                Buffer(bytes);
                return;
            }

            Buffer(bytes[..end]);
            if (!_overflow)
            {
                Line(_pending.GetBuffer().AsSpan(0, (int)_pending.Length));
            }

            _pending.SetLength(0);
            _overflow = false;
            bytes = bytes[(end + 1)..];
        }
    }

    private void Buffer(ReadOnlySpan<byte> bytes)
    {
        if (_overflow || _pending.Length + bytes.Length > MaxBuffered)
        {
            _overflow = true;
            return;
        }

        _pending.Write(bytes);
    }

    private void Line(ReadOnlySpan<byte> line)
    {
        var data = "data:"u8;
        if (!line.StartsWith(data))
        {
            return;
        }

        var json = line[data.Length..].TrimEnd((byte)'\r');
        if (json.IndexOf("message_start"u8) < 0 && json.IndexOf("message_delta"u8) < 0 && json.IndexOf("\"error\""u8) < 0)
        {
            return;
        }

        ReadJson(json.ToArray(), message: false);
    }

    private void ReadJson(byte[] json, bool message)
    {
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return;
            }

            var type = root.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (!message && type == "error")
            {
                // The model's servers ended the stream with an error: what was reported is all there is to charge.
                _complete = true;
                return;
            }

            var body = message ? root : type == "message_start" && root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.Object ? m : (JsonElement?)null;
            if (body is { } b && b.TryGetProperty("model", out var model) && model.ValueKind == JsonValueKind.String)
            {
                _model = model.GetString();
            }

            var usageHolder = message || type == "message_delta" ? root : body;
            if ((message || type is "message_start" or "message_delta") && usageHolder is { } holder && holder.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _input = Count(usage, "input_tokens", _input);
                _output = Count(usage, "output_tokens", _output);
                _cacheCreation = Count(usage, "cache_creation_input_tokens", _cacheCreation);
                _cacheRead = Count(usage, "cache_read_input_tokens", _cacheRead);
                if (usage.TryGetProperty("cache_creation", out var creation) && creation.ValueKind == JsonValueKind.Object)
                {
                    _cacheOneHour = Count(creation, "ephemeral_1h_input_tokens", _cacheOneHour);
                }

                _complete |= message || type == "message_delta";
            }
        }
        catch (JsonException)
        {
            // Not usage; the response still passed through as it was.
        }
    }

    private static long Count(JsonElement usage, string name, long current) =>
        usage.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out var n) && n >= 0 ? Math.Max(current, n) : current;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _pending.Dispose();
        }

        base.Dispose(disposing);
    }
}
