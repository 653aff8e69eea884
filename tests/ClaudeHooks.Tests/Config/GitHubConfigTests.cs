using ClaudeHooks.Config;

namespace ClaudeHooks.Tests.Config;

/// <summary>GitHub in agents.json: a repository's <c>kind</c> and <c>api_url</c>, and an agent's <c>github_app</c>.</summary>
public sealed class GitHubConfigTests : IDisposable
{
    private const string File = "/etc/claude-hooks/agents.json";
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void Parse_NoKind_IsForgejoWithTheApiUnderApiV1()
    {
        var repository = Parse(Repository("\"url\": \"https://git.example\"")).Forge!.Repositories.Single();

        Assert.Equal(ForgeKind.Forgejo, repository.Kind);
        Assert.Equal(new Uri("https://git.example/api/v1/"), repository.ApiUrl);
        Assert.Equal("https://git.example/acme/widgets.git", repository.CloneUrl);
    }

    [Theory]
    [InlineData("\"kind\": \"github\", \"url\": \"https://github.com\"", "https://api.github.com/")]
    [InlineData("\"kind\": \"github\", \"url\": \"https://ghe.example\"", "https://ghe.example/api/v3/")]
    [InlineData("\"kind\": \"github\", \"url\": \"https://ghe.example\", \"api_url\": \"https://api.ghe.example/v3\"", "https://api.ghe.example/v3/")]
    [InlineData("\"kind\": \"gitea\", \"url\": \"https://gitea.example/\"", "https://gitea.example/api/v1/")]
    public void Parse_Kind_PutsTheRestApiWhereThatForgeServesIt(string keys, string api)
    {
        var repository = Parse(Repository(keys)).Forge!.Repositories.Single();

        Assert.Equal(new Uri(api), repository.ApiUrl);
        Assert.Equal(keys.Contains("github", StringComparison.Ordinal) ? ForgeKind.GitHub : ForgeKind.Forgejo, repository.Kind);
    }

    [Theory]
    [InlineData("\"kind\": \"gitlab\", \"url\": \"https://x.example\"", "forge.repositories.acme/widgets.kind: \"gitlab\" is not a forge; use \"forgejo\" (Forgejo or Gitea) or \"github\"")]
    [InlineData("\"kind\": \"github\", \"url\": \"https://github.com\", \"api_url\": \"api.github.com\"", "forge.repositories.acme/widgets.api_url: \"api.github.com\" is not an http(s) URL")]
    [InlineData("\"kind\": \"github\", \"url\": \"https://github.com\", \"merge_style\": \"fast-forward-only\"", "forge.repositories.acme/widgets.merge_style: \"fast-forward-only\" is not a merge style GitHub offers; use merge, rebase, squash")]
    [InlineData("\"kind\": \"github\", \"url\": \"https://github.com\", \"merge_style\": \"rebase-merge\"", "is not a merge style GitHub offers")]
    public void Parse_BadGitHubRepository_NamesTheKeyAndTheFix(string keys, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse(Repository(keys)));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_GitHubApp_ResolvesTheKeyUnderTheHome()
    {
        var config = Parse($$"""{ "agents": { "dev": { "role": "dev", "forge_user": "acme-dev[bot]", "github_app": { "app_id": 123456, "private_key_file": "github-apps/dev.pem" } } } }""");

        var app = config.Find("dev")!.GitHubApp!;
        Assert.Equal(123456, app.AppId);
        Assert.Equal(Path.Combine(_home.Path, "github-apps", "dev.pem"), app.PrivateKeyFile);
        Assert.Equal("acme-dev[bot]", config.Find("dev")!.ForgeUser);
    }

    [Fact]
    public void Parse_NoGitHubApp_UsesTheTokenFile()
    {
        Assert.Null(Parse("""{ "agents": { "dev": { "role": "dev", "forge_user": "dev-bot" } } }""").Find("dev")!.GitHubApp);
    }

    [Theory]
    [InlineData("\"forge_user\": \"dev-bot\", \"github_app\": { \"app_id\": 1, \"private_key_file\": \"k.pem\" }", "agents.dev.forge_user: \"dev-bot\" is not a GitHub App's account; an agent with github_app acts as the App, so set forge_user to \"<app-slug>[bot]\"")]
    [InlineData("\"forge_user\": \"a[bot]\", \"github_app\": { \"private_key_file\": \"k.pem\" }", "agents.dev.github_app.app_id: is missing; give the App's numeric id")]
    [InlineData("\"forge_user\": \"a[bot]\", \"github_app\": { \"app_id\": \"12\", \"private_key_file\": \"k.pem\" }", "agents.dev.github_app.app_id: must be a whole number")]
    [InlineData("\"forge_user\": \"a[bot]\", \"github_app\": { \"app_id\": 0, \"private_key_file\": \"k.pem\" }", "agents.dev.github_app.app_id: 0 is out of range")]
    [InlineData("\"forge_user\": \"a[bot]\", \"github_app\": { \"app_id\": 12 }", "agents.dev.github_app.private_key_file: is required")]
    [InlineData("\"forge_user\": \"a[bot]\", \"github_app\": { \"app_id\": 12, \"private_key_file\": \"k.pem\", \"installation\": 4 }", "agents.dev.github_app.installation: unknown key")]
    [InlineData("\"forge_user\": \"a[robot]\"", "agents.dev.forge_user: \"a[robot]\" is not a forge user name")]
    public void Parse_BadGitHubApp_NamesTheKeyAndTheFix(string keys, string expected)
    {
        var error = Assert.Throws<ConfigException>(() => Parse($$"""{ "agents": { "dev": { "role": "dev", {{keys}} } } }"""));

        Assert.Contains(error.Errors, e => e.StartsWith(File, StringComparison.Ordinal) && e.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("dev", "implement", "GitHub does not let an issue be assigned to a GitHub App, so agent dev (github_app) would never be asked")]
    [InlineData("reviewer", "review", "GitHub does not let a review be requested of a GitHub App, so agent reviewer (github_app) would never be asked")]
    public void Parse_AppForAnAgentGitHubCannotAsk_IsRefusedWithTheFix(string role, string flow, string expected)
    {
        var json = $$"""
            {
              "forge": { "repositories": { "acme/widgets": { "kind": "github", "url": "https://github.com", "webhook_secret_file": "w", "flows": ["{{flow}}", "merge"] } } },
              "agents": {
                "{{role}}": { "role": "{{role}}", "forge_user": "acme-{{role}}[bot]", "github_app": { "app_id": 7, "private_key_file": "k.pem" } },
                "boss": { "role": "lead", "forge_user": "acme-lead[bot]", "github_app": { "app_id": 8, "private_key_file": "l.pem" } }
              }
            }
            """;

        var error = Assert.Throws<ConfigException>(() => Parse(json));

        Assert.Contains(error.Errors, e => e.Contains(expected, StringComparison.Ordinal) && e.Contains($"drop \"{flow}\"", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_AppForTheLead_IsAccepted()
    {
        var json = """
            {
              "forge": { "repositories": { "acme/widgets": { "kind": "github", "url": "https://github.com", "webhook_secret_file": "w", "flows": ["merge", "mention"] } } },
              "agents": { "boss": { "role": "lead", "forge_user": "acme-lead[bot]", "github_app": { "app_id": 8, "private_key_file": "l.pem" } } }
            }
            """;

        Assert.Equal(8, Parse(json).Find("boss")!.GitHubApp!.AppId);
    }

    private static string Repository(string keys) => $$"""
        {
          "forge": { "repositories": { "acme/widgets": { {{keys}}, "webhook_secret_file": "webhooks/widgets", "flows": ["mention"] } } },
          "agents": { "dev": { "role": "dev", "forge_user": "dev-bot" } }
        }
        """;

    private AgentsConfig Parse(string json) => ConfigLoader.Parse(File, json, new ClaudeHooksPaths(_home.Path));
}
