using ClaudeHooks.Config;
using ClaudeHooks.Dashboard;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class SignedLinksTests : IDisposable
{
    private static readonly DateTimeOffset Now = new(2026, 12, 2, 9, 0, 0, TimeSpan.Zero);
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Check_TheLinkItSigned_IsValidUntilItsExpiry()
    {
        var links = SignedLinks.LoadOrCreate(new ClaudeHooksPaths(_home.Path));
        var (until, sig) = Query(links.PathFor("task/t1", Now.AddHours(1)));

        Assert.Equal(LinkCheck.Valid, links.Check("task/t1", until, sig, Now));
        Assert.Equal(LinkCheck.Valid, links.Check("task/t1", until, sig, Now.AddMinutes(59)));
        Assert.Equal(LinkCheck.Expired, links.Check("task/t1", until, sig, Now.AddHours(1)));
    }

    [Fact]
    public void Check_AlteredResourceExpiryOrSignature_IsInvalid()
    {
        var links = SignedLinks.LoadOrCreate(new ClaudeHooksPaths(_home.Path));
        var (until, sig) = Query(links.PathFor("task/t1", Now.AddHours(1)));

        Assert.Equal(LinkCheck.Invalid, links.Check("task/t2", until, sig, Now));
        Assert.Equal(LinkCheck.Invalid, links.Check("task/t1", (long.Parse(until, System.Globalization.CultureInfo.InvariantCulture) + 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), sig, Now));
        Assert.Equal(LinkCheck.Invalid, links.Check("task/t1", until, sig[..^1] + (sig[^1] == 'A' ? 'B' : 'A'), Now));
        Assert.Equal(LinkCheck.Invalid, links.Check("task/t1", until, sig[..^2], Now));
        Assert.Equal(LinkCheck.Invalid, links.Check("task/t1", until, null, Now));
        Assert.Equal(LinkCheck.Invalid, links.Check("task/t1", "-5", sig, Now));
        Assert.Equal(LinkCheck.Invalid, links.Check("task/t1", " " + until, sig, Now));
    }

    [Fact]
    public void Check_AnotherKey_RefusesTheLink()
    {
        var first = SignedLinks.LoadOrCreate(new ClaudeHooksPaths(_home.Path));
        var (until, sig) = Query(first.PathFor("task/t1", Now.AddHours(1)));
        var other = new SignedLinks(new byte[32]);

        Assert.Equal(LinkCheck.Invalid, other.Check("task/t1", until, sig, Now));
    }

    [Fact]
    public void LoadOrCreate_KeepsOneKey_InAFileOnlyTheOwnerReads()
    {
        var paths = new ClaudeHooksPaths(_home.Path);
        var first = SignedLinks.LoadOrCreate(paths);
        var second = SignedLinks.LoadOrCreate(paths);
        var (until, sig) = Query(first.PathFor("task/t1", Now.AddHours(1)));

        Assert.Equal(LinkCheck.Valid, second.Check("task/t1", until, sig, Now));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SignedLinks.FilePath(paths)));
    }

    [Fact]
    public void PathFor_IsASharedPathWithTheExpiryInSeconds()
    {
        var path = new SignedLinks(new byte[32]).PathFor("task/t1", Now.AddDays(1));

        Assert.StartsWith("/ui/shared/task/t1?until=" + Now.AddDays(1).ToUnixTimeSeconds() + "&sig=", path, StringComparison.Ordinal);
        Assert.DoesNotContain('=', path[(path.IndexOf("sig=", StringComparison.Ordinal) + 4)..]);
    }

    private static (string Until, string Sig) Query(string path)
    {
        var query = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(path[path.IndexOf('?', StringComparison.Ordinal)..]);
        return (query["until"].ToString(), query["sig"].ToString());
    }
}
