using System.Text;
using System.Text.Json;
using ClaudeHooks.Security;

namespace ClaudeHooks.Tests.Security;

public sealed class SecretRedactorTests : IDisposable
{
    private const string ForgeToken = "3f9a1c0d7e5b42a8961f0c3d2b7e8a4f5c6d1e2f";
    private const string WebhookSecret = "wh+s3cr/et=with&reserved?chars~ok";
    private const string ForgeMarker = "[redacted: dev forge token]";
    private const string WebhookMarker = "[redacted: o/r webhook secret]";
    private readonly TempDirectory _home = new();
    private readonly string _tokenFile;
    private readonly SecretRedactor _redactor;

    public SecretRedactorTests()
    {
        _tokenFile = _home.Write("tokens/dev", ForgeToken + "\n");
        var webhook = _home.Write("webhook", WebhookSecret);
        var credentials = _home.Write("claude/.credentials.json", """{ "claudeAiOauth": { "accessToken": "oat-access-0123456789abcdef", "refreshToken": "ort-refresh-fedcba9876543210" } }""");
        _redactor = new SecretRedactor(new SecretCatalog(() =>
        [
            new SecretSource("dev forge token", _tokenFile, SecretFileFormat.Text),
            new SecretSource("o/r webhook secret", webhook, SecretFileFormat.Text),
            new SecretSource("dev oauth", credentials, SecretFileFormat.ClaudeCredentials),
            new SecretSource("reviewer forge token", Path.Combine(_home.Path, "tokens", "missing"), SecretFileFormat.Text),
        ]) { RecheckInterval = TimeSpan.Zero });
    }

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Redact_RawSecret_ReplacedByAMarkerNamingItsKind()
    {
        var result = _redactor.Redact($"git push https://dev:{ForgeToken}@forge.example/o/r.git");

        Assert.Equal($"git push https://dev:{ForgeMarker}@forge.example/o/r.git", result.Text);
        Assert.Equal(["dev forge token"], result.Kinds);
    }

    [Fact]
    public void Redact_CredentialsJson_AccessAndRefreshTokensAreSecrets()
    {
        var result = _redactor.Redact("a oat-access-0123456789abcdef b ort-refresh-fedcba9876543210 c");

        Assert.Equal("a [redacted: dev oauth access token] b [redacted: dev oauth refresh token] c", result.Text);
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, false)]
    [InlineData(2, false)]
    [InlineData(0, true)]
    [InlineData(1, true)]
    [InlineData(2, true)]
    public void Redact_Base64OfALongerText_SecretAtEachAlignmentReplaced(int before, bool urlSafe)
    {
        var payload = Encoding.UTF8.GetBytes(new string('x', before) + $"{{\"token\":\"{WebhookSecret}\"}}");
        var encoded = Convert.ToBase64String(payload);
        if (urlSafe)
        {
            encoded = encoded.Replace('+', '-').Replace('/', '_');
        }

        var result = _redactor.Redact($"Authorization: Basic {encoded}");

        Assert.Contains(WebhookMarker, result.Text);
        Assert.DoesNotContain(Inner(encoded, before + 10), result.Text);
    }

    [Fact]
    public void Redact_WholeBase64_WithOrWithoutPadding()
    {
        foreach (var length in new[] { ForgeToken.Length, ForgeToken.Length - 1, ForgeToken.Length - 2 })
        {
            var secret = ForgeToken[..length];
            File.WriteAllText(_tokenFile, secret);
            var padded = Convert.ToBase64String(Encoding.UTF8.GetBytes(secret));
            foreach (var form in new[] { padded, padded.TrimEnd('=') })
            {
                var result = _redactor.Redact($"[{form}]");

                Assert.Equal($"[{ForgeMarker}]", result.Text);
            }
        }
    }

    [Theory]
    [InlineData(0, "\n")]
    [InlineData(1, "\r\n")]
    [InlineData(2, "\n  ")]
    [InlineData(0, "\\n")]
    [InlineData(1, "\\r\\n")]
    [InlineData(2, " ")]
    public void Redact_Base64WrappedAcrossLines_Replaced(int before, string wrap)
    {
        var encoded = Convert.ToBase64String(Encoding.UTF8.GetBytes(new string('y', before) + "token=" + ForgeToken + "\n"));
        var wrapped = string.Join(wrap, encoded.Chunk(8).Select(c => new string(c)));

        var result = _redactor.Redact($$"""{"output":"{{wrapped}}"}""");

        Assert.Contains(ForgeMarker, result.Text);
        Assert.DoesNotContain(Inner(encoded, before + 12)[..8], result.Text.Replace(wrap, "", StringComparison.Ordinal));
    }

    [Fact]
    public void Redact_PercentEncoded_UpperLowerAndEscapeDataString()
    {
        var escaped = Uri.EscapeDataString(WebhookSecret);
        var escapedLowerHex = System.Text.RegularExpressions.Regex.Replace(escaped, "%[0-9A-F]{2}", m => m.Value.ToLowerInvariant());
        var every = string.Concat(Encoding.UTF8.GetBytes(WebhookSecret).Select(b => $"%{b:X2}"));
        Assert.NotEqual(escaped, escapedLowerHex);
        foreach (var form in new[] { escaped, escapedLowerHex, every, every.ToLowerInvariant() })
        {
            var result = _redactor.Redact($"https://x.example/?secret={form}&next=1");

            Assert.Equal($"https://x.example/?secret={WebhookMarker}&next=1", result.Text);
        }
    }

    [Fact]
    public void Redact_JsonEscapes_PerCharacterAndEscapedString()
    {
        var upper = string.Concat(ForgeToken.Select(c => $"\\u{(int)c:X4}"));
        var lower = string.Concat(ForgeToken.Select(c => $"\\u{(int)c:x4}"));
        var quoted = "tok\"en\\with/quotes";
        File.WriteAllText(_tokenFile, quoted);

        Assert.Equal($$"""{"a":"{{ForgeMarker}}"}""", _redactor.Redact($$"""{"a":"{{JsonSerializer.Serialize(quoted)[1..^1]}}"}""").Text);
        Assert.Equal($$"""{"a":"{{ForgeMarker}}"}""", _redactor.Redact("""{"a":"tok\"en\\with\/quotes"}""").Text);
        File.WriteAllText(_tokenFile, ForgeToken + "\n\n");
        Assert.Equal($$"""{"a":"{{ForgeMarker}}","b":"{{ForgeMarker}}"}""", _redactor.Redact($$"""{"a":"{{upper}}","b":"{{lower}}"}""").Text);
    }

    [Fact]
    public void Redact_JsonEvent_StaysValidJson()
    {
        var line = JsonSerializer.Serialize(new { type = "assistant", text = $"here: {ForgeToken}\nand {Convert.ToBase64String(Encoding.UTF8.GetBytes(WebhookSecret))}" });

        var result = _redactor.Redact(line);

        using var document = JsonDocument.Parse(result.Text);
        Assert.Equal($"here: {ForgeMarker}\nand {WebhookMarker}", document.RootElement.GetProperty("text").GetString());
    }

    [Fact]
    public void Redact_Hex_LowerAndUpper()
    {
        var hex = Convert.ToHexStringLower(Encoding.UTF8.GetBytes(WebhookSecret));

        Assert.Equal($"a {WebhookMarker} b {WebhookMarker}", _redactor.Redact($"a {hex} b {hex.ToUpperInvariant()}").Text);
    }

    [Theory]
    [InlineData("ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "github token format")]
    [InlineData("gho_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "github token format")]
    [InlineData("ghs_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789", "github token format")]
    [InlineData("github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz", "github token format")]
    [InlineData("glpat-abcdefghij0123456789", "gitlab token format")]
    [InlineData("sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123456789-_AA", "anthropic key format")]
    [InlineData("sk-ant-oat01-abcdefghijklmnopqrstuvwxyz0123456789", "anthropic key format")]
    [InlineData("xoxb-1234567890-abcdefghij", "slack token format")]
    [InlineData("AKIAIOSFODNN7EXAMPLE", "aws access key format")]
    [InlineData("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc+/=\n-----END RSA PRIVATE KEY-----", "private key block")]
    [InlineData("-----BEGIN OPENSSH PRIVATE KEY-----\\nb3BlbnNzaC1rZXktdjEAAAAA\\nAAAABG5vbmUAAAAEbm9uZQ", "private key block")]
    public void Redact_WellKnownFormats_ReplacedWhateverTheirValue(string token, string kind)
    {
        var result = _redactor.Redact($"before {token}\nafter");

        Assert.Equal($"before [redacted: {kind}]\nafter", result.Text);
        Assert.Equal([kind], result.Kinds);
    }

    [Fact]
    public void Redact_FormatAfterAJsonNewlineEscape_Replaced()
    {
        Assert.Equal("""{"t":"x\n[redacted: github token format]"}""", _redactor.Redact("""{"t":"x\nghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"}""").Text);
    }

    [Fact]
    public void Redact_CommitIdsAndOrdinaryText_Unchanged()
    {
        var text = "pushed 9fceb02d0ae598e95dc970b74767f19372d61af8 and 1c002dd4b536e7479fe34593e72e6c6c1819e53b; see task-ant-report and ghp_short";

        var result = _redactor.Redact(text);

        Assert.Same(text, result.Text);
        Assert.False(result.Changed);
    }

    [Fact]
    public void Redact_RotatedFile_NewValueReplacedOldOneNoLonger()
    {
        const string rotated = "0aa1bb2cc3dd4ee5ff60718293a4b5c6d7e8f901";
        Assert.Equal(ForgeMarker, _redactor.Redact(ForgeToken).Text);

        File.WriteAllText(_tokenFile, rotated + "\n");
        File.SetLastWriteTimeUtc(_tokenFile, DateTime.UtcNow.AddMinutes(1));

        Assert.Equal(ForgeMarker, _redactor.Redact(rotated).Text);
        Assert.Equal(ForgeToken, _redactor.Redact(ForgeToken).Text);
    }

    [Fact]
    public void Redact_FileAppearsLater_PickedUp()
    {
        var late = Path.Combine(_home.Path, "tokens", "late");
        var redactor = new SecretRedactor(new SecretCatalog(() => [new SecretSource("late forge token", late, SecretFileFormat.Text)]) { RecheckInterval = TimeSpan.Zero });
        Assert.False(redactor.Redact("late-token-value-1234").Changed);

        _home.Write("tokens/late", "late-token-value-1234");

        Assert.Equal("[redacted: late forge token]", redactor.Redact("late-token-value-1234").Text);
    }

    [Fact]
    public void Redact_ShortFileContent_NotTreatedAsASecret()
    {
        File.WriteAllText(_tokenFile, "abc");

        Assert.Equal("abc abc", _redactor.Redact("abc abc").Text);
    }

    /// <summary>A run of the encoded text well inside the secret's part, which no base64 leftover may still hold.</summary>
    private static string Inner(string encoded, int secretByteOffset) => encoded.Substring((secretByteOffset * 4 / 3) + 4, 12);
}
