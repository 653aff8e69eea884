using System.Text.Json;
using ClaudeHooks.Security;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace ClaudeHooks.Tests.Security;

public sealed class RedactingConsoleFormatterTests : IDisposable
{
    private const string ForgeToken = "9c1e7a3f5b2d48e6a0f1c2d3e4b5a6f7c8d9e0f1";
    private const string Marker = "[redacted: dev forge token]";
    private readonly TempDirectory _home = new();
    private readonly SecretRedactor _redactor;

    public RedactingConsoleFormatterTests()
    {
        var token = _home.Write("tokens/dev", ForgeToken + "\n");
        _redactor = new SecretRedactor(new SecretCatalog(() => [new SecretSource("dev forge token", token, SecretFileFormat.Text)]) { RecheckInterval = TimeSpan.Zero });
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Write_Simple_TimeLevelCategoryAndMessageOnOneLine()
    {
        var line = Write(LogFormat.Simple, LogLevel.Information, "task t-1 queued -> running");

        Assert.Matches(@"^\d\d:\d\d:\d\d info: ClaudeHooks\.Tasks\.TaskStateMachine\[7\] task t-1 queued -> running\r?\n$", line);
    }

    [Theory]
    [InlineData(LogLevel.Information, "<6>")]
    [InlineData(LogLevel.Warning, "<4>")]
    [InlineData(LogLevel.Error, "<3>")]
    [InlineData(LogLevel.Debug, "<7>")]
    public void Write_Systemd_StartsWithTheJournalPriority(LogLevel level, string prefix)
    {
        var line = Write(LogFormat.Systemd, level, "draining");

        Assert.Equal($"{prefix}ClaudeHooks.Tasks.TaskStateMachine[7] draining{Environment.NewLine}", line);
    }

    [Fact]
    public void Write_Json_OneObjectWithLevelMessageAndNamedFields()
    {
        var line = Write(LogFormat.Json, LogLevel.Warning, "task {TaskId} -> {State}: cost {CostUsd} USD", ("TaskId", "t-2"), ("State", "succeeded"), ("CostUsd", 0.25m));

        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var root = json.RootElement;
        Assert.Equal("warn", root.GetProperty("level").GetString());
        Assert.Equal("ClaudeHooks.Tasks.TaskStateMachine", root.GetProperty("category").GetString());
        Assert.Equal(7, root.GetProperty("event_id").GetInt32());
        Assert.Equal("task t-2 -> succeeded: cost 0.25 USD", root.GetProperty("message").GetString());
        Assert.Equal("t-2", root.GetProperty("fields").GetProperty("TaskId").GetString());
        Assert.Equal(0.25m, root.GetProperty("fields").GetProperty("CostUsd").GetDecimal());
        Assert.False(root.GetProperty("fields").TryGetProperty("{OriginalFormat}", out _));
        Assert.True(DateTimeOffset.TryParse(root.GetProperty("time").GetString(), System.Globalization.CultureInfo.InvariantCulture, out _));
    }

    [Theory]
    [InlineData("Simple")]
    [InlineData("Systemd")]
    [InlineData("Json")]
    public void Write_SecretInMessageFieldOrException_IsRedactedInEveryFormat(string formatName)
    {
        var format = Enum.Parse<LogFormat>(formatName);
        var line = Write(format, LogLevel.Error, "push to {Url} failed", new InvalidOperationException($"remote said {ForgeToken}"), ("Url", $"https://dev:{ForgeToken}@forge.example/o/r.git"));

        Assert.DoesNotContain(ForgeToken, line, StringComparison.Ordinal);
        Assert.Contains(Marker, line, StringComparison.Ordinal);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        if (format == LogFormat.Json)
        {
            using var json = JsonDocument.Parse(line);
            Assert.Contains(Marker, json.RootElement.GetProperty("fields").GetProperty("Url").GetString(), StringComparison.Ordinal);
            Assert.Contains(Marker, json.RootElement.GetProperty("exception").GetString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Write_ControlCharactersInAValue_CannotForgeASecondLine()
    {
        var line = Write(LogFormat.Json, LogLevel.Information, "reason: {Reason}", ("Reason", "ok\n<3>forged line"));

        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        Assert.DoesNotContain('\n', json.RootElement.GetProperty("fields").GetProperty("Reason").GetString()!);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void AddRedactedConsole_SystemdFormatterChosenBeforeOrAfter_TheRedactingOneStaysInUse(bool systemdFirst)
    {
        // What UseSystemd does under systemd: it names the built-in systemd formatter, which redacts nothing.
        static void UseSystemdFormatter(IServiceCollection s) => s.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Systemd);
        var services = new ServiceCollection();
        if (systemdFirst)
        {
            UseSystemdFormatter(services);
        }

        services.AddLogging(logging => logging.AddRedactedConsole(_redactor, LogFormat.Systemd));
        if (!systemdFirst)
        {
            UseSystemdFormatter(services);
        }

        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<IOptionsMonitor<ConsoleLoggerOptions>>().CurrentValue;
        var chosen = provider.GetServices<ConsoleFormatter>().OfType<RedactingConsoleFormatter>().Single();

        Assert.Equal(RedactingConsoleFormatter.FormatterName, options.FormatterName);
        Assert.Equal(LogFormat.Systemd, chosen.Format);
    }

    private string Write(LogFormat format, LogLevel level, string template, params (string Key, object? Value)[] values) =>
        Write(format, level, template, null, values);

    private string Write(LogFormat format, LogLevel level, string template, Exception? exception, params (string Key, object? Value)[] values)
    {
        var state = new TemplateState(template, values);
        var formatter = new RedactingConsoleFormatter(_redactor, format);
        using var writer = new StringWriter();
        formatter.Write(new LogEntry<TemplateState>(level, "ClaudeHooks.Tasks.TaskStateMachine", new EventId(7), state, exception, (s, _) => s.ToString()), null, writer);
        return writer.ToString();
    }
}
