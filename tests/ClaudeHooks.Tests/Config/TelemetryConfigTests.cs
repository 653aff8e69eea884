using ClaudeHooks.Config;
using ClaudeHooks.Security;

namespace ClaudeHooks.Tests.Config;

public sealed class TelemetryConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private const string Agents = """ "agents": { "dev": { "role": "dev", "forge_user": "d" } } """;
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoKeys_AutomaticFormatNoOtlpAndMetricsBehindTheToken()
    {
        var service = Parse($$"""{ "service": { "lease": "60s" }, {{Agents}} }""").Service;

        Assert.Null(service.LogFormat);
        Assert.Null(service.OtlpEndpoint);
        Assert.False(service.MetricsOpenToLoopback);
    }

    [Theory]
    [InlineData("simple", "Simple")]
    [InlineData("json", "Json")]
    [InlineData("systemd", "Systemd")]
    public void Parse_LogFormat_IsTheFormatNamed(string name, string expectedName)
    {
        var expected = Enum.Parse<LogFormat>(expectedName);
        var service = Parse($$"""{ "service": { "log_format": "{{name}}" }, {{Agents}} }""").Service;

        Assert.Equal(expected, service.LogFormat);
    }

    [Fact]
    public void Parse_OtlpEndpointAndOpenMetrics_AreKept()
    {
        var service = Parse($$"""{ "service": { "otlp_endpoint": "https://collector.internal:4318/v1/metrics", "metrics_open_to_loopback": true }, {{Agents}} }""").Service;

        Assert.Equal(new Uri("https://collector.internal:4318/v1/metrics"), service.OtlpEndpoint);
        Assert.True(service.MetricsOpenToLoopback);
    }

    [Theory]
    [InlineData("log_format", "\"xml\"", "service.log_format: \"xml\" is not a log format; use \"simple\", \"json\" or \"systemd\"")]
    [InlineData("log_format", "3", "service.log_format: must be a string")]
    [InlineData("otlp_endpoint", "\"collector:4318\"", "service.otlp_endpoint: \"collector:4318\" is not an absolute http(s) URL")]
    [InlineData("otlp_endpoint", "\"/v1/metrics\"", "service.otlp_endpoint: \"/v1/metrics\" is not an absolute http(s) URL")]
    [InlineData("otlp_endpoint", "\"grpc://collector:4317\"", "such as \"http://127.0.0.1:4318/v1/metrics\"")]
    [InlineData("otlp_endpoint", "\"https://user:pw@collector/v1/metrics\"", "without credentials")]
    [InlineData("metrics_open_to_loopback", "\"yes\"", "service.metrics_open_to_loopback")]
    public void Parse_BadValue_NamesTheFileTheKeyAndTheFix(string key, string value, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "{{key}}": {{value}} }, {{Agents}} }"""));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_MisspelledKey_ListsTheTelemetryKeysAmongTheKnownOnes()
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "service": { "log_fromat": "json" }, {{Agents}} }"""));

        var message = Assert.Single(error.Errors);
        Assert.Contains("service.log_fromat: unknown key", message, StringComparison.Ordinal);
        Assert.Contains("log_format", message, StringComparison.Ordinal);
        Assert.Contains("otlp_endpoint", message, StringComparison.Ordinal);
        Assert.Contains("metrics_open_to_loopback", message, StringComparison.Ordinal);
    }

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));
}
