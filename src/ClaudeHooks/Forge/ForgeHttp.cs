using System.Net;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace ClaudeHooks.Forge;

/// <summary>
/// The named HttpClient <c>forge</c> and its resilience pipeline (a total timeout, retries, a timeout per attempt).
/// A read (GET, HEAD) is tried again on a transport error, a timeout, 408, 429, 500, 502, 503 and 504. A write
/// (POST, PATCH, PUT, DELETE) is tried again only when the forge provably did nothing: a 429 (Forgejo has no rate
/// limiter of its own, so a 429 comes from a proxy in front that turned the request away) or a connection that
/// failed before the request went out. Any other failure of a write is the caller's to reconcile, because a lost
/// answer is not a refusal: a comment posted twice or a merge reported as failed is worse than a failure reported as
/// possibly applied. <c>Retry-After</c> (seconds or a date) is honoured up to <see cref="ForgeHttpOptions.MaxRetryAfter"/>.
/// </summary>
internal static partial class ForgeHttp
{
    public const string ClientName = "forge";

    private static readonly HashSet<HttpStatusCode> Transient =
    [
        HttpStatusCode.RequestTimeout,
        HttpStatusCode.TooManyRequests,
        HttpStatusCode.InternalServerError,
        HttpStatusCode.BadGateway,
        HttpStatusCode.ServiceUnavailable,
        HttpStatusCode.GatewayTimeout,
    ];

    public static IHttpClientBuilder AddForgeHttpClient(this IServiceCollection services, ForgeHttpOptions? options = null)
    {
        var limits = options ?? ForgeHttpOptions.Default;

        // The pipeline's timeouts govern; HttpClient's own (100 s) would cut a wait for Retry-After short.
        var client = services.AddHttpClient(ClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
        client.AddResilienceHandler(ClientName, (pipeline, context) =>
        {
            var logger = context.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ForgeHttp).FullName!);
            var metrics = context.ServiceProvider.GetService<Hosting.ServiceMetrics>();
            pipeline
                .AddTimeout(limits.TotalTimeout)
                .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
                {
                    MaxRetryAttempts = limits.MaxRetries,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = limits.BaseDelay,
                    ShouldHandle = args => ValueTask.FromResult(ShouldRetry(args.Context.GetRequestMessage()?.Method, args.Outcome, limits, TimeProvider.System)),
                    DelayGenerator = args => ValueTask.FromResult(args.Outcome.Result is { } response ? RetryAfter(response, TimeProvider.System) : null),
                    OnRetry = args =>
                    {
                        var request = args.Context.GetRequestMessage();
                        Retrying(logger, request?.Method.Method ?? "?", request?.RequestUri?.AbsolutePath ?? "?", args.AttemptNumber + 1, limits.MaxRetries + 1,
                            Describe(args.Outcome), args.RetryDelay.TotalSeconds);
                        metrics?.ForgeRetry(request?.Method.Method ?? "?");
                        return default;
                    },
                })
                .AddTimeout(limits.AttemptTimeout);
        });

        // Added after the pipeline, so it sits inside it and sees every attempt.
        client.AddHttpMessageHandler(s => s.GetService<Hosting.ServiceMetrics>() is { } metrics ? new ForgeMetricsHandler(metrics) : new PassThroughHandler());
        return client;
    }

    /// <summary>A method the forge treats as a read: trying it again cannot change anything.</summary>
    public static bool IsSafe(HttpMethod method) => method == HttpMethod.Get || method == HttpMethod.Head;

    /// <summary>A transport failure before any byte of the request left: no name, no connection, no TLS session.</summary>
    public static bool NeverSent(HttpRequestException exception) =>
        exception.HttpRequestError is HttpRequestError.NameResolutionError or HttpRequestError.ConnectionError
            or HttpRequestError.SecureConnectionError or HttpRequestError.ProxyTunnelError;

    /// <summary>
    /// The wait a response asks for (zero for a time already past), or null when it asks for none: <c>Retry-After</c>
    /// (seconds or a date), else GitHub's primary rate limit, <c>x-ratelimit-remaining: 0</c> with
    /// <c>x-ratelimit-reset</c> in epoch seconds.
    /// </summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time)
    {
        switch (response.Headers.RetryAfter)
        {
            case { Delta: { } delta }:
                return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
            case { Date: { } date }:
                return date <= time.GetUtcNow() ? TimeSpan.Zero : date - time.GetUtcNow();
        }

        // A reset beyond any date a clock can hold is read as "in a day", the longest GitHub's limits last.
        if (Header(response, "x-ratelimit-remaining") == "0" && long.TryParse(Header(response, "x-ratelimit-reset"), out var reset))
        {
            reset = Math.Clamp(reset, 0, time.GetUtcNow().AddDays(1).ToUnixTimeSeconds());
            var at = DateTimeOffset.FromUnixTimeSeconds(reset);
            return at <= time.GetUtcNow() ? TimeSpan.Zero : at - time.GetUtcNow();
        }

        return null;
    }

    /// <summary>
    /// A refusal for rate alone, after which the forge did nothing: a 429, or GitHub's 403 with a wait (its secondary
    /// limit sends <c>Retry-After</c>; its primary one an exhausted <c>x-ratelimit-remaining</c>). A plain 403 is a permission.
    /// </summary>
    public static bool RateLimited(HttpResponseMessage response, TimeProvider time) =>
        response.StatusCode == HttpStatusCode.TooManyRequests
        || (response.StatusCode == HttpStatusCode.Forbidden && RetryAfter(response, time) is not null);

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault()?.Trim() : null;

    internal static bool ShouldRetry(HttpMethod? method, Outcome<HttpResponseMessage> outcome, ForgeHttpOptions limits, TimeProvider time)
    {
        var safe = method is null || IsSafe(method);
        if (outcome.Exception is { } exception)
        {
            // The caller's own cancellation is neither of these and is never retried.
            return exception switch
            {
                TimeoutRejectedException => safe,
                HttpRequestException e => safe || NeverSent(e),
                _ => false,
            };
        }

        if (outcome.Result is not { } response)
        {
            return false;
        }

        // Asked to wait longer than we would: the caller is told when to come back instead.
        if (RetryAfter(response, time) > limits.MaxRetryAfter)
        {
            return false;
        }

        return RateLimited(response, time) || (safe && Transient.Contains(response.StatusCode));
    }

    private static string Describe(Outcome<HttpResponseMessage> outcome) => outcome.Exception is { } e
        ? $"{e.GetType().Name}: {e.Message}"
        : $"{(int)outcome.Result!.StatusCode} {outcome.Result.ReasonPhrase}";

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge {Method} {Path}: attempt {Attempt} of {Attempts} failed ({Reason}); trying again in {DelaySeconds:0.0} s")]
    private static partial void Retrying(ILogger logger, string method, string path, int attempt, int attempts, string reason, double delaySeconds);
}
