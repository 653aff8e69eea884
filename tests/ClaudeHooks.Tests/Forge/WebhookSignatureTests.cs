using System.Text;
using ClaudeHooks.Forge;
using Microsoft.AspNetCore.Http;

namespace ClaudeHooks.Tests.Forge;

public sealed class WebhookSignatureTests
{
    private static readonly byte[] Body = Encoding.UTF8.GetBytes("Hello, World!");
    private const string Secret = "It's a Secret to Everybody";
    private const string Expected = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

    [Fact]
    public void Sign_KnownVector() => Assert.Equal(Expected, WebhookSignature.Sign(Body, Secret));

    [Fact]
    public void Verify_Right_Accepted() => Assert.True(WebhookSignature.Verify(Body, Secret, Expected));

    [Fact]
    public void Verify_Wrong_Refused() => Assert.False(WebhookSignature.Verify(Body, Secret, Expected.Replace('7', '8')));

    [Fact]
    public void Verify_Missing_Refused() => Assert.False(WebhookSignature.Verify(Body, Secret, null));

    [Fact]
    public void Verify_BodyAlteredByOneByte_Refused()
    {
        var altered = (byte[])Body.Clone();
        altered[^1] ^= 1;

        Assert.False(WebhookSignature.Verify(altered, Secret, Expected));
    }

    [Fact]
    public void Verify_EmptySecret_Refused() => Assert.False(WebhookSignature.Verify(Body, "", WebhookSignature.Sign(Body, "")));

    [Fact]
    public void Verify_NotHex_Refused() => Assert.False(WebhookSignature.Verify(Body, Secret, "sha256=zz"));

    [Theory]
    [InlineData("X-Forgejo-Signature", Expected)]
    [InlineData("X-Gitea-Signature", Expected)]
    [InlineData("X-Hub-Signature-256", "sha256=" + Expected)]
    public void From_ForgeHeaders(string header, string value)
    {
        var headers = new HeaderDictionary { [header] = value };

        Assert.Equal(Expected, WebhookSignature.From(headers));
    }

    [Fact]
    public void From_EmptySignatureOfAHookWithoutSecret_IsNone() =>
        Assert.Null(WebhookSignature.From(new HeaderDictionary { ["X-Forgejo-Signature"] = "", ["X-Hub-Signature-256"] = "sha256=" }));
}
