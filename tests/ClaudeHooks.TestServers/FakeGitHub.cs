using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.TestServers;

/// <summary>
/// A stateful stand-in for GitHub's REST API (paths, fields and status codes of GitHub's published description),
/// served under <see cref="ApiUrl"/> (GHES's <c>/api/v3</c> by default), with a GitHub App (RS256 JWTs, installation
/// tokens that expire), token-checked git over a <see cref="GitHttpServer"/>, and signed webhooks sent as GitHub sends
/// them, never redelivered. As GitHub, the repository keeps each pull request's head at <c>refs/pull/{n}/head</c>, moved
/// by every push to the head branch while the pull request is open. Forks are not modelled.
/// </summary>
public sealed class FakeGitHub : IAsyncDisposable
{
    private const string Docs = "https://docs.github.com/rest";
    private const string PullMap = "fake-github-pulls";
    private readonly WebApplication _app;
    private readonly GitHttpServer _git;
    private readonly string _apiBase;
    private readonly Lock _gate = new();
    private readonly ConcurrentDictionary<string, Credential> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _permissions = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<ApiCall> _calls = new();
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly ConcurrentQueue<string> _gitLogins = new();
    private readonly ConcurrentQueue<MintedToken> _minted = new();
    private readonly List<Item> _items = [];
    private readonly List<Review> _reviews = [];
    private readonly List<Comment> _comments = [];
    private readonly List<TimelineEvent> _timeline = [];
    private readonly HttpClient _webhookClient = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Lock _limits = new();
    private (int Calls, GitHubRateLimit Kind) _rateLimit;
    private long _nextId = 1000;
    private string? _lastGitLogin;

    private FakeGitHub(WebApplication app, GitHttpServer git, string host, int port, string apiBase, string repo)
    {
        _app = app;
        _git = git;
        _apiBase = apiBase;
        Repo = repo;
        Url = new Uri($"http://{host}:{port}/");
        ApiUrl = new Uri(Url, apiBase.Trim('/').Length == 0 ? "" : apiBase.Trim('/') + "/");
    }

    /// <summary>The web root (<c>url</c> in the service's config).</summary>
    public Uri Url { get; }

    /// <summary>The REST base, ending in <c>/</c> (<c>api_url</c> in the service's config).</summary>
    public Uri ApiUrl { get; }

    public string Owner { get; } = "it-owner";

    public string Repo { get; }

    public string FullName => $"{Owner}/{Repo}";

    public string BarePath => _git.BarePath(Owner, Repo);

    public string CloneUrl => _git.Url(Owner, Repo);

    public Uri? WebhookUrl { get; set; }

    public string WebhookSecret { get; set; } = "";

    /// <summary>The repository webhook's id, sent as <c>X-GitHub-Hook-ID</c>.</summary>
    public long HookId { get; } = 424242;

    /// <summary>Record deliveries without sending them (GitHub does not redeliver), for backstop tests.</summary>
    public bool DropWebhooks { get; set; }

    /// <summary>
    /// Whether an App's <c>{slug}[bot]</c> account may be an assignee. GitHub drops such assignees silently (only users
    /// with access can be assigned), so this is off unless a test needs work routed to an App by assignment.
    /// </summary>
    public bool BotsAssignable { get; set; }

    /// <summary>How long a minted installation token lives; GitHub's is one hour.</summary>
    public TimeSpan InstallationTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>The fake's clock for token lifetimes (minting and expiry checks); the real time when null.</summary>
    public Func<DateTimeOffset>? Clock { get; set; }

    public GitHubApp? App { get; private set; }

    public IReadOnlyList<ApiCall> Calls => [.. _calls];

    public IReadOnlyList<Delivery> Deliveries => [.. _deliveries];

    /// <summary>Every installation token minted, in order.</summary>
    public IReadOnlyList<MintedToken> MintedTokens => [.. _minted];

    /// <summary>The login behind each git request's accepted credentials, in order.</summary>
    public IReadOnlyList<string> GitLogins => [.. _gitLogins];

    /// <summary>How many git requests were refused for their credentials.</summary>
    public int GitRefused { get; private set; }

    private DateTimeOffset Now => Clock?.Invoke() ?? DateTimeOffset.UtcNow;

    /// <summary>Starts the fake for <paramref name="repo"/> (already created as <c>it-owner/{repo}</c> on <paramref name="git"/>) and takes over the git server's credential checks.</summary>
    public static async Task<FakeGitHub> StartAsync(string address, GitHttpServer git, string repo, string apiBase = "/api/v3")
    {
        var port = ScriptedModelServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), port));
        var app = builder.Build();
        var hub = new FakeGitHub(app, git, address, port, apiBase, repo);
        await InstallPullHookAsync(hub.BarePath);
        hub.Map(app);
        git.CredentialValidator = hub.AcceptsGit;
        git.Pushed += hub.OnPushed;
        await app.StartAsync();
        return hub;
    }

    /// <summary>A user with a personal (fine-grained) token and a role on the repository: admin, maintain, write, triage or read.</summary>
    public void AddUser(string login, string token, string permission)
    {
        _tokens[token] = new Credential(login, "User", null);
        _permissions[login] = permission;
    }

    /// <summary>Registers a GitHub App installed on the repository, with a fresh RSA key pair; it acts as <c>{slug}[bot]</c>.</summary>
    public GitHubApp RegisterApp(long id, string slug, long installationId = 77)
    {
        var rsa = RSA.Create(2048);
        App = new GitHubApp(id, slug, installationId, rsa);
        _permissions[App.BotLogin] = "write";
        return App;
    }

    /// <summary>The next <paramref name="calls"/> REST calls are refused as rate-limited, in the way <paramref name="kind"/> says.</summary>
    public void RateLimitNext(int calls, GitHubRateLimit kind)
    {
        lock (_limits)
        {
            _rateLimit = (calls, kind);
        }
    }

    /// <summary>Opens an issue as <paramref name="author"/>; returns its number.</summary>
    public long CreateIssue(string title, string body, string author)
    {
        lock (_gate)
        {
            var item = new Item(++_nextId, _items.Count + 1, title, body, author);
            _items.Add(item);
            return item.Number;
        }
    }

    /// <summary>Assigns <paramref name="assignee"/> as <paramref name="actor"/> did through the web, with the webhook.</summary>
    public void Assign(long number, string assignee, string actor)
    {
        lock (_gate)
        {
            var item = Find(number) ?? throw new InvalidOperationException($"no item {number}");
            if (IsBot(assignee) && !BotsAssignable)
            {
                throw new InvalidOperationException($"GitHub does not assign {assignee}; set BotsAssignable to route work to the App by assignment");
            }

            AssignLocked(item, [.. item.Assignees.Append(assignee).Distinct()], actor);
        }
    }

    /// <summary>A human's review asking for changes, with the webhook.</summary>
    public void RequestChanges(long number, string reviewer, string body) => SubmitAsHuman(number, reviewer, "REQUEST_CHANGES", body);

    /// <summary>A human's approval, with the webhook.</summary>
    public void Approve(long number, string reviewer, string body = "") => SubmitAsHuman(number, reviewer, "APPROVE", body);

    /// <summary>The comments on an issue or pull request, in order.</summary>
    public IReadOnlyList<(long Id, string User, string Body)> CommentsOn(long number)
    {
        lock (_gate)
        {
            return _comments.Where(c => c.Item == number).Select(c => (c.Id, c.User, c.Body)).ToList();
        }
    }

    /// <summary>The reviews of a pull request, in order: (author, state as the REST API names it, commit).</summary>
    public IReadOnlyList<(string User, string State, string CommitId)> ReviewsOn(long number)
    {
        lock (_gate)
        {
            return _reviews.Where(r => r.Pull == number).Select(r => (r.User, r.State, r.CommitId)).ToList();
        }
    }

    public bool IsMerged(long number)
    {
        lock (_gate)
        {
            return Find(number)?.Merged == true;
        }
    }

    /// <summary>The open or closed pull requests, as (number, head branch, author).</summary>
    public IReadOnlyList<(long Number, string Head, string Author, string State)> Pulls
    {
        get
        {
            lock (_gate)
            {
                return _items.Where(i => i.IsPull).Select(i => (i.Number, i.Head!, i.Author, i.State)).ToList();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_git.CredentialValidator == AcceptsGit)
        {
            _git.CredentialValidator = null;
        }

        _git.Pushed -= OnPushed;

        _webhookClient.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>
    /// As GitHub after a push: each open pull request whose head branch moved gets <c>pull_request</c>/<c>synchronize</c>
    /// with <c>before</c> and <c>after</c>. Pushes over HTTP are noticed by themselves; call this after pushing to the
    /// bare repository directly (<see cref="GitHttpServer.CommitAsync"/>).
    /// </summary>
    public void NotePushes(string sender)
    {
        lock (_gate)
        {
            foreach (var pull in _items.Where(i => i.IsPull && i.State == "open"))
            {
                if (BranchSha(pull.Head) is { } after && after != pull.LastHead)
                {
                    var payload = PullPayload("synchronize", pull, sender);
                    payload["before"] = pull.LastHead;
                    payload["after"] = after;
                    pull.LastHead = after;
                    Emit("pull_request", sender, payload);
                }
            }
        }
    }

    /// <summary>Sends <c>ping</c>, as GitHub does when a webhook is created.</summary>
    public void Ping()
    {
        lock (_gate)
        {
            Emit("ping", Owner, new JsonObject
            {
                ["zen"] = "Keep it logically awesome.",
                ["hook_id"] = HookId,
                ["hook"] = new JsonObject { ["type"] = "Repository", ["id"] = HookId, ["active"] = true, ["events"] = new JsonArray("issues", "issue_comment", "pull_request", "pull_request_review") },
            }.Also(p => AddCommon(p, Owner)));
        }
    }

    private void OnPushed(string path)
    {
        if (path.StartsWith($"/{FullName}.git/", StringComparison.OrdinalIgnoreCase))
        {
            NotePushes(_lastGitLogin ?? Owner);
        }
    }

    /// <summary>Git's Basic credentials as GitHub takes them: <c>x-access-token:&lt;installation token&gt;</c>, or any user name with a user's token.</summary>
    private bool AcceptsGit(string user, string password)
    {
        if (_tokens.TryGetValue(password, out var credential) && !Expired(credential) && (credential.Type == "User" || user == "x-access-token"))
        {
            _gitLogins.Enqueue(credential.Login);
            _lastGitLogin = credential.Login;
            return true;
        }

        lock (_gate)
        {
            GitRefused++;
        }

        return false;
    }

    private bool IsBot(string login) => App is not null && string.Equals(login, App.BotLogin, StringComparison.OrdinalIgnoreCase);

    private bool Expired(Credential credential) => credential.ExpiresAt is { } at && at <= Now;

    private static async Task InstallPullHookAsync(string bare)
    {
        var hook = Path.Combine(bare, "hooks", "post-receive");
        Directory.CreateDirectory(Path.GetDirectoryName(hook)!);
        await File.WriteAllTextAsync(hook, $$"""
            #!/bin/sh
            # Lines of the map: <head branch> <pull request number>.
            map=$PWD/{{PullMap}}
            unset GIT_QUARANTINE_PATH
            [ -f "$map" ] || exit 0
            while read -r old new ref; do
                case "$new" in *[!0]*) ;; *) continue ;; esac
                while read -r branch number; do
                    [ "$ref" = "refs/heads/$branch" ] || continue
                    git update-ref "refs/pull/$number/head" "$new"
                done < "$map"
            done

            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    private void WritePullMap()
    {
        var lines = _items.Where(i => i.IsPull && i.State == "open").Select(i => $"{i.Head} {i.Number}\n");
        var map = Path.Combine(BarePath, PullMap);
        File.WriteAllText(map + ".new", string.Concat(lines));
        File.Move(map + ".new", map, overwrite: true);
    }

    private void Map(WebApplication app)
    {
        var api = _apiBase.Trim('/').Length == 0 ? (IEndpointRouteBuilder)app : app.MapGroup("/" + _apiBase.Trim('/'));
        const string Repository = "/repos/{owner}/{repo}";
        api.MapGet("/user", (Delegate)((HttpContext c) => Handle(c, (who, _) => who.Type == "Bot" ? Error(403, "Resource not accessible by integration") : Results.Json(UserJson(who.Login)))));
        api.MapGet("/app", (Delegate)((HttpContext c) => Handle(c, (_, _) => Results.Json(AppJson()), jwt: true)));
        api.MapGet(Repository + "/installation", (Delegate)((HttpContext c) => Handle(c, (_, _) => Results.Json(InstallationJson()), jwt: true)));
        api.MapPost("/app/installations/{id:long}/access_tokens", (HttpContext c, long id) => Handle(c, (_, body) => Mint(id, body), jwt: true));
        api.MapGet(Repository, (Delegate)((HttpContext c) => Handle(c, (who, _) => Results.Json(RepositoryJson(who.Login)))));
        api.MapGet(Repository + "/collaborators/{user}/permission", (HttpContext c, string user) => Handle(c, (_, _) => Permission(user)));
        api.MapGet(Repository + "/issues", (Delegate)((HttpContext c) => Handle(c, (_, _) => Page(c, _items.Where(i => StateMatches(c, i)).OrderByDescending(i => i.Number).Select(IssueJson)))));
        api.MapGet(Repository + "/issues/{number:long}", (HttpContext c, long number) => Handle(c, (_, _) => Find(number) is { } i ? Results.Json(IssueJson(i)) : NotFound()));
        api.MapPatch(Repository + "/issues/{number:long}", (HttpContext c, long number) => Handle(c, (who, body) => EditIssue(who, number, body!)));
        api.MapGet(Repository + "/issues/{number:long}/comments", (HttpContext c, long number) => Handle(c, (_, _) => Find(number) is { } i ? Page(c, _comments.Where(x => x.Item == number).Select(x => CommentJson(x, i))) : NotFound()));
        api.MapPost(Repository + "/issues/{number:long}/comments", (HttpContext c, long number) => Handle(c, (who, body) => CreateComment(who, number, body!)));
        api.MapPatch(Repository + "/issues/comments/{id:long}", (HttpContext c, long id) => Handle(c, (who, body) => EditComment(who, id, body!)));
        api.MapGet(Repository + "/issues/{number:long}/timeline", (HttpContext c, long number) => Handle(c, (_, _) => Find(number) is not null ? Page(c, _timeline.Where(t => t.Item == number).Select(TimelineJson)) : NotFound()));
        api.MapPost(Repository + "/pulls", (Delegate)((HttpContext c) => Handle(c, (who, body) => CreatePull(who, body!))));
        api.MapGet(Repository + "/pulls", (Delegate)((HttpContext c) => Handle(c, (_, _) => ListPulls(c))));
        api.MapGet(Repository + "/pulls/{number:long}", (HttpContext c, long number) => Handle(c, (_, _) => Find(number) is { IsPull: true } p ? Results.Json(PullJson(p)) : NotFound()));
        api.MapPost(Repository + "/pulls/{number:long}/requested_reviewers", (HttpContext c, long number) => Handle(c, (who, body) => RequestReviewers(who, number, body!)));
        api.MapGet(Repository + "/pulls/{number:long}/reviews", (HttpContext c, long number) => Handle(c, (_, _) => Page(c, _reviews.Where(r => r.Pull == number && r.State != "PENDING").Select(ReviewJson))));
        api.MapPost(Repository + "/pulls/{number:long}/reviews", (HttpContext c, long number) => Handle(c, (who, body) => CreateReview(who, number, body!)));
        api.MapGet(Repository + "/pulls/{number:long}/reviews/{id:long}/comments", (HttpContext c, long number, long id) => Handle(c, (_, _) =>
            _reviews.FirstOrDefault(r => r.Pull == number && r.Id == id) is { } r ? Page(c, r.Comments.Select((x, n) => ReviewCommentJson(r, x, n))) : NotFound()));
        api.MapGet(Repository + "/pulls/{number:long}/comments", (HttpContext c, long number) => Handle(c, (_, _) => Page(c, _reviews.Where(r => r.Pull == number).SelectMany(r => r.Comments.Select((x, n) => ReviewCommentJson(r, x, n))))));
        api.MapPut(Repository + "/pulls/{number:long}/merge", (HttpContext c, long number) => Handle(c, (who, body) => Merge(who, number, body!)));
        api.MapDelete(Repository + "/git/refs/heads/{**branch}", (HttpContext c, string branch) => Handle(c, (_, _) => DeleteBranch(Uri.UnescapeDataString(branch))));
        app.MapFallback((HttpContext c) => Error(404, "Not Found"));
    }

    /// <summary>
    /// One REST call: recorded, rate-limited on demand, authenticated (a token as <c>token</c> or <c>Bearer</c>, or the
    /// App's JWT where <paramref name="jwt"/>), then applied under the state's lock.
    /// </summary>
    private async Task<IResult> Handle(HttpContext context, Func<Credential, JsonObject?, IResult> handler, bool jwt = false)
    {
        var text = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var header = context.Request.Headers.Authorization.ToString();
        var secret = header.StartsWith("token ", StringComparison.OrdinalIgnoreCase) ? header[6..].Trim() : header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..].Trim() : null;
        Credential? who = null;
        if (secret is not null)
        {
            who = jwt ? (VerifyJwt(secret) ? new Credential(App!.BotLogin, "App", null) : null)
                : _tokens.TryGetValue(secret, out var credential) && !Expired(credential) ? credential : null;
        }

        var limited = TakeRateLimit();
        _calls.Enqueue(new ApiCall(context.Request.Method, context.Request.Path.Value ?? "", context.Request.QueryString.Value ?? "", who?.Login, text, limited is null ? null : (limited == GitHubRateLimit.TooManyRequests ? 429 : 403)));
        context.Response.Headers["X-GitHub-Request-Id"] = Guid.NewGuid().ToString("N")[..16].ToUpperInvariant();
        if (limited is { } kind)
        {
            return RateLimited(context, kind);
        }

        context.Response.Headers["x-ratelimit-limit"] = "5000";
        context.Response.Headers["x-ratelimit-remaining"] = "4999";
        context.Response.Headers["x-ratelimit-reset"] = Epoch(DateTimeOffset.UtcNow.AddHours(1));
        if (who is null)
        {
            return jwt && secret is not null && !secret.Contains('.', StringComparison.Ordinal)
                ? Error(401, "A JSON web token could not be decoded")
                : Error(401, "Bad credentials");
        }

        JsonObject? body;
        try
        {
            body = text.Length == 0 ? [] : JsonNode.Parse(text)?.AsObject();
        }
        catch (JsonException)
        {
            return Error(400, "Problems parsing JSON");
        }

        lock (_gate)
        {
            return handler(who, body);
        }
    }

    private GitHubRateLimit? TakeRateLimit()
    {
        lock (_limits)
        {
            if (_rateLimit.Calls <= 0)
            {
                return null;
            }

            _rateLimit.Calls--;
            return _rateLimit.Kind;
        }
    }

    private static IResult RateLimited(HttpContext context, GitHubRateLimit kind)
    {
        if (kind == GitHubRateLimit.Primary)
        {
            context.Response.Headers["x-ratelimit-limit"] = "5000";
            context.Response.Headers["x-ratelimit-remaining"] = "0";
            context.Response.Headers["x-ratelimit-used"] = "5000";
            context.Response.Headers["x-ratelimit-reset"] = Epoch(DateTimeOffset.UtcNow.AddSeconds(2));
            return Error(403, "API rate limit exceeded for user ID 1.");
        }

        context.Response.Headers.RetryAfter = "1";
        return Error(kind == GitHubRateLimit.TooManyRequests ? 429 : 403, "You have exceeded a secondary rate limit. Please wait a few minutes before you try again.");
    }

    private static string Epoch(DateTimeOffset at) => at.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

    /// <summary>An App JWT as GitHub checks it: RS256 by the App's key, <c>iss</c> the App id, <c>exp</c> at most ten minutes after <c>iat</c>, not yet expired.</summary>
    private bool VerifyJwt(string jwt)
    {
        if (App is not { } app)
        {
            return false;
        }

        var parts = jwt.Split('.');
        if (parts.Length != 3)
        {
            return false;
        }

        try
        {
            var header = JsonNode.Parse(Base64Url(parts[0]))!;
            if (header["alg"]?.GetValue<string>() != "RS256")
            {
                return false;
            }

            if (!app.Key.VerifyData(Encoding.ASCII.GetBytes(parts[0] + "." + parts[1]), Base64Url(parts[2]), HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1))
            {
                return false;
            }

            var claims = JsonNode.Parse(Base64Url(parts[1]))!;
            var iss = claims["iss"] is JsonValue v && v.TryGetValue<long>(out var n) ? n.ToString(CultureInfo.InvariantCulture) : claims["iss"]?.GetValue<string>();
            var iat = claims["iat"]!.GetValue<long>();
            var exp = claims["exp"]!.GetValue<long>();
            var now = Now.ToUnixTimeSeconds();
            return iss == app.Id.ToString(CultureInfo.InvariantCulture) && exp - iat <= 600 && exp > now && iat <= now + 60;
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or CryptographicException)
        {
            return false;
        }
    }

    private static byte[] Base64Url(string text)
    {
        var s = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(s.PadRight(s.Length + ((4 - (s.Length % 4)) % 4), '='));
    }

    private IResult Mint(long installation, JsonObject? body)
    {
        if (installation != App!.InstallationId)
        {
            return NotFound();
        }

        var repositories = body?["repositories"]?.AsArray().Select(r => r!.GetValue<string>()).ToList();
        if (repositories is not null && repositories.Any(r => !string.Equals(r, Repo, StringComparison.OrdinalIgnoreCase)))
        {
            return Error(422, "There is at least one repository that does not exist or is not accessible to the parent installation.");
        }

        var token = "ghs_" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(18));
        var expires = Now + InstallationTokenLifetime;
        expires = new DateTimeOffset(expires.Year, expires.Month, expires.Day, expires.Hour, expires.Minute, expires.Second, TimeSpan.Zero);
        _tokens[token] = new Credential(App.BotLogin, "Bot", expires);
        _minted.Enqueue(new MintedToken(token, expires, repositories));
        var answer = new JsonObject
        {
            ["token"] = token,
            ["expires_at"] = expires.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture),
            ["permissions"] = Permissions(),
            ["repository_selection"] = repositories is null ? "all" : "selected",
        };
        if (repositories is not null)
        {
            answer["repositories"] = new JsonArray(RepositoryJson(null));
        }

        return Results.Json(answer, statusCode: 201);
    }

    private static JsonObject Permissions() => new() { ["contents"] = "write", ["issues"] = "write", ["pull_requests"] = "write", ["metadata"] = "read" };

    private IResult Permission(string user)
    {
        if (!_permissions.TryGetValue(user, out var role))
        {
            return _tokens.Values.Any(t => string.Equals(t.Login, user, StringComparison.OrdinalIgnoreCase))
                ? Results.Json(new JsonObject { ["permission"] = "none", ["role_name"] = "none", ["user"] = UserJson(user) })
                : NotFound();
        }

        // As GitHub: `permission` keeps the old three levels (maintain reads as write, triage as read), `role_name` the role.
        var permission = role switch { "admin" => "admin", "maintain" or "write" => "write", _ => "read" };
        return Results.Json(new JsonObject { ["permission"] = permission, ["role_name"] = role, ["user"] = UserJson(user) });
    }

    private bool StateMatches(HttpContext context, Item item)
    {
        var state = context.Request.Query["state"].ToString();
        return state switch { "all" => true, "closed" => item.State == "closed", _ => item.State == "open" };
    }

    private IResult EditIssue(Credential who, long number, JsonObject body)
    {
        if (Find(number) is not { } item)
        {
            return NotFound();
        }

        if (body["assignees"] is JsonArray assignees)
        {
            // As GitHub: assignees it cannot take (no access, or an App's bot) are dropped without an error.
            AssignLocked(item, [.. assignees.Select(a => a!.GetValue<string>()).Where(a => _permissions.ContainsKey(a) && (BotsAssignable || !IsBot(a)))], who.Login);
        }

        if (body["state"]?.GetValue<string>() is { } state)
        {
            item.State = state;
        }

        return Results.Json(IssueJson(item));
    }

    /// <summary>As GitHub: one <c>assigned</c>/<c>unassigned</c> event (timeline and webhook, top-level <c>assignee</c>) per user added or taken off.</summary>
    private void AssignLocked(Item item, List<string> assigned, string actor)
    {
        var removed = item.Assignees.Except(assigned, StringComparer.OrdinalIgnoreCase).ToList();
        var added = assigned.Except(item.Assignees, StringComparer.OrdinalIgnoreCase).ToList();
        item.Assignees = assigned;
        item.Updated = DateTimeOffset.UtcNow;
        foreach (var (user, action) in removed.Select(u => (u, "unassigned")).Concat(added.Select(u => (u, "assigned"))))
        {
            _timeline.Add(new TimelineEvent(++_nextId, item.Number, action, actor, user, DateTimeOffset.UtcNow));
            var payload = item.IsPull ? PullPayload(action, item, actor) : IssuePayload(action, item, actor);
            payload["assignee"] = UserJson(user);
            Emit(item.IsPull ? "pull_request" : "issues", actor, payload);
        }
    }

    private IResult CreateComment(Credential who, long number, JsonObject body)
    {
        if (Find(number) is not { } item)
        {
            return NotFound();
        }

        if (body["body"]?.GetValue<string>() is not { Length: > 0 } text)
        {
            return Invalid("Issue", "body", "missing_field");
        }

        var comment = new Comment(++_nextId, number, who.Login, text, DateTimeOffset.UtcNow);
        _comments.Add(comment);
        Emit("issue_comment", who.Login, new JsonObject
        {
            ["action"] = "created",
            ["issue"] = IssueJson(item),
            ["comment"] = CommentJson(comment, item),
        }.Also(p => AddCommon(p, who.Login)));
        return Results.Json(CommentJson(comment, item), statusCode: 201);
    }

    private IResult EditComment(Credential who, long id, JsonObject body)
    {
        if (_comments.FirstOrDefault(c => c.Id == id) is not { } comment)
        {
            return NotFound();
        }

        if (!string.Equals(comment.User, who.Login, StringComparison.OrdinalIgnoreCase) && _permissions.GetValueOrDefault(who.Login) is not ("admin" or "maintain"))
        {
            return Error(403, "Resource not accessible by personal access token");
        }

        var old = comment.Body;
        comment.Body = body["body"]?.GetValue<string>() ?? old;
        comment.Updated = DateTimeOffset.UtcNow;
        var item = Find(comment.Item)!;
        Emit("issue_comment", who.Login, new JsonObject
        {
            ["action"] = "edited",
            ["changes"] = new JsonObject { ["body"] = new JsonObject { ["from"] = old } },
            ["issue"] = IssueJson(item),
            ["comment"] = CommentJson(comment, item),
        }.Also(p => AddCommon(p, who.Login)));
        return Results.Json(CommentJson(comment, item));
    }

    private IResult CreatePull(Credential who, JsonObject body)
    {
        var head = body["head"]?.GetValue<string>();
        var @base = body["base"]?.GetValue<string>();
        var title = body["title"]?.GetValue<string>();
        if (head is null || @base is null || string.IsNullOrEmpty(title))
        {
            return Invalid("PullRequest", head is null ? "head" : @base is null ? "base" : "title", "missing_field");
        }

        var branch = head.Contains(':', StringComparison.Ordinal) ? head[(head.IndexOf(':', StringComparison.Ordinal) + 1)..] : head;
        var headOwner = head.Contains(':', StringComparison.Ordinal) ? head[..head.IndexOf(':', StringComparison.Ordinal)] : Owner;
        if (!string.Equals(headOwner, Owner, StringComparison.OrdinalIgnoreCase) || BranchSha(branch) is null)
        {
            return Invalid("PullRequest", "head", "invalid");
        }

        if (BranchSha(@base) is null)
        {
            return Invalid("PullRequest", "base", "invalid");
        }

        if (_items.Any(i => i.IsPull && i.State == "open" && i.Head == branch && i.Base == @base))
        {
            return CustomInvalid("PullRequest", $"A pull request already exists for {Owner}:{branch}.");
        }

        if (BranchSha(branch) == BranchSha(@base))
        {
            return CustomInvalid("PullRequest", $"No commits between {@base} and {branch}");
        }

        var pull = new Item(++_nextId, _items.Count + 1, title, body["body"]?.GetValue<string>() ?? "", who.Login) { Head = branch, Base = @base, Draft = body["draft"]?.GetValue<bool>() == true };
        _items.Add(pull);
        pull.LastHead = BranchSha(branch);
        Git("update-ref", $"refs/pull/{pull.Number}/head", pull.LastHead!);
        WritePullMap();
        Emit("pull_request", who.Login, PullPayload("opened", pull, who.Login));
        return Results.Json(PullJson(pull), statusCode: 201);
    }

    private IResult ListPulls(HttpContext context)
    {
        var head = context.Request.Query["head"].ToString();
        var @base = context.Request.Query["base"].ToString();
        var pulls = _items.Where(i => i.IsPull && StateMatches(context, i))
            .Where(i => head.Length == 0 || (head.Contains(':', StringComparison.Ordinal) ? string.Equals(head, $"{Owner}:{i.Head}", StringComparison.OrdinalIgnoreCase) : false))
            .Where(i => @base.Length == 0 || i.Base == @base)
            .OrderByDescending(i => i.Number);
        return Page(context, pulls.Select(PullJson));
    }

    private IResult RequestReviewers(Credential who, long number, JsonObject body)
    {
        if (Find(number) is not { IsPull: true } pull)
        {
            return NotFound();
        }

        var reviewers = body["reviewers"]?.AsArray().Select(r => r!.GetValue<string>()).ToList() ?? [];
        if (reviewers.Any(r => string.Equals(r, pull.Author, StringComparison.OrdinalIgnoreCase)))
        {
            return CustomInvalid("PullRequest", "Review cannot be requested from pull request author.");
        }

        if (reviewers.Any(r => !_permissions.ContainsKey(r)))
        {
            return CustomInvalid("PullRequest", $"Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the {FullName} repository.");
        }

        foreach (var reviewer in reviewers)
        {
            if (!pull.RequestedReviewers.Contains(reviewer, StringComparer.OrdinalIgnoreCase))
            {
                pull.RequestedReviewers.Add(reviewer);
            }

            // GitHub records and announces a request each time it is made, also a repeated one after a review.
            _timeline.Add(new TimelineEvent(++_nextId, pull.Number, "review_requested", who.Login, reviewer, DateTimeOffset.UtcNow));
            var payload = PullPayload("review_requested", pull, who.Login);
            payload["requested_reviewer"] = UserJson(reviewer);
            Emit("pull_request", who.Login, payload);
        }

        return Results.Json(PullJson(pull), statusCode: 201);
    }

    private void SubmitAsHuman(long number, string reviewer, string @event, string body)
    {
        lock (_gate)
        {
            var result = CreateReview(new Credential(reviewer, "User", null), number, new JsonObject { ["event"] = @event, ["body"] = body });
            if (result is IStatusCodeHttpResult { StatusCode: not (null or 200) } failed)
            {
                throw new InvalidOperationException($"review by {reviewer} refused with {failed.StatusCode}");
            }
        }
    }

    private IResult CreateReview(Credential who, long number, JsonObject body)
    {
        if (Find(number) is not { IsPull: true } pull)
        {
            return NotFound();
        }

        var @event = body["event"]?.GetValue<string>();
        var text = body["body"]?.GetValue<string>() ?? "";
        if (@event is not (null or "APPROVE" or "REQUEST_CHANGES" or "COMMENT"))
        {
            return CustomInvalid("PullRequestReview", $"{@event} is not a valid event");
        }

        if (string.Equals(who.Login, pull.Author, StringComparison.OrdinalIgnoreCase) && @event is "APPROVE" or "REQUEST_CHANGES")
        {
            return Results.Json(new JsonObject
            {
                ["message"] = "Unprocessable Entity",
                ["errors"] = new JsonArray(@event == "APPROVE" ? "Can not approve your own pull request" : "Can not request changes on your own pull request"),
                ["documentation_url"] = $"{Docs}/pulls/reviews#create-a-review-for-a-pull-request",
                ["status"] = "422",
            }, statusCode: 422);
        }

        if (@event is "REQUEST_CHANGES" or "COMMENT" && text.Length == 0 && body["comments"] is not JsonArray { Count: > 0 })
        {
            return Results.Json(new JsonObject
            {
                ["message"] = "Unprocessable Entity",
                ["errors"] = new JsonArray("Body is required"),
                ["documentation_url"] = $"{Docs}/pulls/reviews#create-a-review-for-a-pull-request",
                ["status"] = "422",
            }, statusCode: 422);
        }

        var comments = new List<ReviewComment>();
        foreach (var node in body["comments"]?.AsArray() ?? [])
        {
            var path = node?["path"]?.GetValue<string>();
            var line = node?["line"]?.GetValue<long>() ?? node?["position"]?.GetValue<long>();
            if (path is null || line is null || node?["body"]?.GetValue<string>() is not { } commentBody)
            {
                return CustomInvalid("PullRequestReviewComment", "path, line (or position) and body are required");
            }

            comments.Add(new ReviewComment(++_nextId, path, line.Value, node["side"]?.GetValue<string>() ?? "RIGHT", commentBody));
        }

        var head = PullHead(pull);
        var state = @event switch { "APPROVE" => "APPROVED", "REQUEST_CHANGES" => "CHANGES_REQUESTED", "COMMENT" => "COMMENTED", _ => "PENDING" };
        var review = new Review(++_nextId, number, who.Login, state, text, body["commit_id"]?.GetValue<string>() is { Length: > 0 } commit ? commit : head, comments, DateTimeOffset.UtcNow);
        _reviews.Add(review);
        if (state != "PENDING")
        {
            pull.RequestedReviewers.RemoveAll(r => string.Equals(r, who.Login, StringComparison.OrdinalIgnoreCase));
            var payload = new JsonObject
            {
                ["action"] = "submitted",
                ["review"] = ReviewJson(review).Also(r => r["state"] = state.ToLowerInvariant()),
                ["pull_request"] = PullJson(pull),
            }.Also(p => AddCommon(p, who.Login));
            Emit("pull_request_review", who.Login, payload);
            // As GitHub: each inline comment of a submitted review is also announced on its own.
            foreach (var (comment, index) in comments.Select((c, i) => (c, i)))
            {
                Emit("pull_request_review_comment", who.Login, new JsonObject
                {
                    ["action"] = "created",
                    ["comment"] = ReviewCommentJson(review, comment, index),
                    ["pull_request"] = PullJson(pull),
                }.Also(p => AddCommon(p, who.Login)));
            }
        }

        return Results.Json(ReviewJson(review));
    }

    private IResult Merge(Credential who, long number, JsonObject body)
    {
        if (Find(number) is not { IsPull: true } pull)
        {
            return NotFound();
        }

        if (pull.Merged || pull.State != "open")
        {
            return Error(405, "Pull Request is not mergeable");
        }

        var head = PullHead(pull);
        if (body["sha"]?.GetValue<string>() is { Length: > 0 } sha && sha != head)
        {
            return Error(409, "Head branch was modified. Review and try the merge again.");
        }

        if (!MergeInGit(pull, body["merge_method"]?.GetValue<string>() ?? "merge", head, who.Login, body["commit_title"]?.GetValue<string>()))
        {
            return Error(405, "Pull Request is not mergeable");
        }

        pull.Merged = true;
        pull.MergedBy = who.Login;
        pull.State = "closed";
        pull.MergeCommitSha = BranchSha(pull.Base);
        pull.Updated = DateTimeOffset.UtcNow;
        WritePullMap();
        Emit("pull_request", who.Login, PullPayload("closed", pull, who.Login));
        return Results.Json(new JsonObject { ["sha"] = pull.MergeCommitSha, ["merged"] = true, ["message"] = "Pull Request successfully merged" });
    }

    private bool MergeInGit(Item pull, string method, string head, string user, string? title)
    {
        var work = Directory.CreateTempSubdirectory("fake-github-merge-").FullName;
        try
        {
            GitAt(work, "clone", "-q", "--branch", pull.Base, BarePath, ".");
            GitAt(work, "fetch", "-q", "origin", $"refs/pull/{pull.Number}/head");
            var identity = new[] { "-c", $"user.name={user}", "-c", $"user.email={user}@users.noreply.github.invalid" };
            try
            {
                if (method == "squash")
                {
                    GitAt(work, "merge", "-q", "--squash", head);
                    GitAt(work, [.. identity, "commit", "-q", "-m", title ?? $"{pull.Title} (#{pull.Number})"]);
                }
                else
                {
                    GitAt(work, [.. identity, "merge", "-q", "--no-ff", "-m", title ?? $"Merge pull request #{pull.Number} from {Owner}/{pull.Head}", head]);
                }
            }
            catch (InvalidOperationException)
            {
                return false;
            }

            GitAt(work, "push", "-q", "origin", $"HEAD:refs/heads/{pull.Base}");
            return true;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private IResult DeleteBranch(string branch)
    {
        if (BranchSha(branch) is null)
        {
            return Error(422, "Reference does not exist");
        }

        Git("update-ref", "-d", $"refs/heads/{branch}");
        return Results.NoContent();
    }

    /// <summary>GitHub's pagination: <c>per_page</c> (default 30, at most 100) and <c>page</c>, with a <c>Link</c> header naming the other pages.</summary>
    private static IResult Page(HttpContext context, IEnumerable<JsonObject> items)
    {
        var page = int.TryParse(context.Request.Query["page"], out var p) && p > 0 ? p : 1;
        var perPage = int.TryParse(context.Request.Query["per_page"], out var l) && l > 0 ? Math.Min(l, 100) : 30;
        var all = items.ToList();
        var last = Math.Max(1, (all.Count + perPage - 1) / perPage);
        var links = new List<string>();
        string Link(int n, string rel)
        {
            var query = context.Request.Query.Where(q => q.Key != "page").Select(q => $"{q.Key}={Uri.EscapeDataString(q.Value.ToString())}").Append($"page={n}");
            return $"<{context.Request.Scheme}://{context.Request.Host}{context.Request.PathBase}{context.Request.Path}?{string.Join('&', query)}>; rel=\"{rel}\"";
        }

        if (page > 1)
        {
            links.Add(Link(page - 1, "prev"));
        }

        if (page < last)
        {
            links.Add(Link(page + 1, "next"));
            links.Add(Link(last, "last"));
        }

        if (page > 1)
        {
            links.Add(Link(1, "first"));
        }

        if (links.Count > 0)
        {
            context.Response.Headers["Link"] = string.Join(", ", links);
        }

        return Results.Json(new JsonArray([.. all.Skip((page - 1) * perPage).Take(perPage)]));
    }

    private Item? Find(long number) => _items.FirstOrDefault(i => i.Number == number);

    private string PullHead(Item pull) => (pull.State == "open" ? BranchSha(pull.Head) : null) ?? RefSha($"refs/pull/{pull.Number}/head") ?? "";

    private string? BranchSha(string? branch) => branch is null ? null : RefSha($"refs/heads/{branch}");

    private string? RefSha(string reference)
    {
        try
        {
            return GitAt(BarePath, "rev-parse", "-q", "--verify", reference + "^{commit}").Trim();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private void Git(params string[] arguments) => GitAt(BarePath, arguments);

    private static string GitAt(string directory, params string[] arguments) => GitHttpServer.GitAsync(directory, arguments).GetAwaiter().GetResult();

    private static IResult Error(int status, string message) =>
        Results.Json(new JsonObject { ["message"] = message, ["documentation_url"] = Docs, ["status"] = status.ToString(CultureInfo.InvariantCulture) }, statusCode: status);

    private static IResult NotFound() => Error(404, "Not Found");

    private static IResult Invalid(string resource, string field, string code) => Results.Json(new JsonObject
    {
        ["message"] = "Validation Failed",
        ["errors"] = new JsonArray(new JsonObject { ["resource"] = resource, ["field"] = field, ["code"] = code }),
        ["documentation_url"] = Docs,
        ["status"] = "422",
    }, statusCode: 422);

    private static IResult CustomInvalid(string resource, string message) => Results.Json(new JsonObject
    {
        ["message"] = "Validation Failed",
        ["errors"] = new JsonArray(new JsonObject { ["resource"] = resource, ["code"] = "custom", ["message"] = message }),
        ["documentation_url"] = Docs,
        ["status"] = "422",
    }, statusCode: 422);

    private string Html(string path) => $"{Url}{FullName}{path}";

    private string Api(string path) => $"{ApiUrl}repos/{FullName}{path}";

    /// <summary>A user object: a bot for the App's <c>{slug}[bot]</c> account, as GitHub shows the App's doings.</summary>
    private JsonObject UserJson(string login)
    {
        var bot = App is not null && string.Equals(login, App.BotLogin, StringComparison.OrdinalIgnoreCase);
        return new JsonObject
        {
            ["login"] = login,
            ["id"] = bot ? 9_000_000 + App!.Id : 10_000 + (Math.Abs(StringComparer.OrdinalIgnoreCase.GetHashCode(login)) % 100_000),
            ["node_id"] = "U_" + Convert.ToBase64String(Encoding.UTF8.GetBytes(login)),
            ["avatar_url"] = "",
            ["url"] = $"{ApiUrl}users/{Uri.EscapeDataString(login)}",
            ["html_url"] = bot ? $"{Url}apps/{App!.Slug}" : $"{Url}{login}",
            ["type"] = bot ? "Bot" : "User",
            ["site_admin"] = false,
        };
    }

    private JsonObject RepositoryJson(string? viewer) => new JsonObject
    {
        ["id"] = 1296269,
        ["node_id"] = "R_fake",
        ["name"] = Repo,
        ["full_name"] = FullName,
        ["private"] = true,
        ["owner"] = UserJson(Owner).Also(o => o["type"] = "Organization"),
        ["html_url"] = Html(""),
        ["url"] = $"{ApiUrl}repos/{FullName}",
        ["clone_url"] = CloneUrl,
        ["default_branch"] = "main",
        ["fork"] = false,
    }.Also(r =>
    {
        if (viewer is not null && _permissions.TryGetValue(viewer, out var role))
        {
            r["permissions"] = new JsonObject { ["admin"] = role == "admin", ["maintain"] = role is "admin" or "maintain", ["push"] = role is "admin" or "maintain" or "write", ["triage"] = role != "read", ["pull"] = true };
        }
    });

    private JsonObject AppJson() => new()
    {
        ["id"] = App!.Id,
        ["slug"] = App.Slug,
        ["node_id"] = "A_fake",
        ["name"] = App.Slug,
        ["owner"] = UserJson(Owner),
        ["permissions"] = Permissions(),
        ["events"] = new JsonArray("issues", "issue_comment", "pull_request", "pull_request_review"),
    };

    private JsonObject InstallationJson() => new()
    {
        ["id"] = App!.InstallationId,
        ["account"] = UserJson(Owner),
        ["app_id"] = App.Id,
        ["app_slug"] = App.Slug,
        ["target_type"] = "Organization",
        ["repository_selection"] = "selected",
        ["permissions"] = Permissions(),
        ["access_tokens_url"] = $"{ApiUrl}app/installations/{App.InstallationId}/access_tokens",
    };

    private JsonObject IssueJson(Item i)
    {
        var issue = new JsonObject
        {
            ["id"] = i.Id,
            ["node_id"] = "I_" + i.Id,
            ["url"] = Api($"/issues/{i.Number}"),
            ["html_url"] = Html(i.IsPull ? $"/pull/{i.Number}" : $"/issues/{i.Number}"),
            ["number"] = i.Number,
            ["state"] = i.State,
            ["title"] = i.Title,
            ["body"] = i.Body,
            ["user"] = UserJson(i.Author),
            ["labels"] = new JsonArray(),
            ["assignee"] = i.Assignees.Count == 0 ? null : UserJson(i.Assignees[0]),
            ["assignees"] = new JsonArray([.. i.Assignees.Select(UserJson)]),
            ["comments"] = _comments.Count(c => c.Item == i.Number),
            ["created_at"] = Time(i.Created),
            ["updated_at"] = Time(i.Updated),
            ["closed_at"] = i.State == "closed" ? Time(i.Updated) : null,
            ["author_association"] = AuthorAssociation(i.Author),
        };
        if (i.IsPull)
        {
            issue["pull_request"] = new JsonObject
            {
                ["url"] = Api($"/pulls/{i.Number}"),
                ["html_url"] = Html($"/pull/{i.Number}"),
                ["diff_url"] = Html($"/pull/{i.Number}.diff"),
                ["patch_url"] = Html($"/pull/{i.Number}.patch"),
                ["merged_at"] = i.Merged ? Time(i.Updated) : null,
            };
            issue["draft"] = i.Draft;
        }

        return issue;
    }

    private string AuthorAssociation(string login) =>
        string.Equals(login, Owner, StringComparison.OrdinalIgnoreCase) ? "OWNER" : _permissions.ContainsKey(login) ? "COLLABORATOR" : "NONE";

    private JsonObject PullJson(Item p)
    {
        var sha = PullHead(p);
        return new JsonObject
        {
            ["id"] = p.Id,
            ["node_id"] = "PR_" + p.Id,
            ["url"] = Api($"/pulls/{p.Number}"),
            ["html_url"] = Html($"/pull/{p.Number}"),
            ["issue_url"] = Api($"/issues/{p.Number}"),
            ["number"] = p.Number,
            ["state"] = p.State,
            ["locked"] = false,
            ["title"] = p.Title,
            ["body"] = p.Body,
            ["user"] = UserJson(p.Author),
            ["assignee"] = p.Assignees.Count == 0 ? null : UserJson(p.Assignees[0]),
            ["assignees"] = new JsonArray([.. p.Assignees.Select(UserJson)]),
            ["requested_reviewers"] = new JsonArray([.. p.RequestedReviewers.Select(UserJson)]),
            ["requested_teams"] = new JsonArray(),
            ["labels"] = new JsonArray(),
            ["draft"] = p.Draft,
            ["head"] = new JsonObject { ["label"] = $"{Owner}:{p.Head}", ["ref"] = p.Head, ["sha"] = sha, ["user"] = UserJson(Owner), ["repo"] = RepositoryJson(null) },
            ["base"] = new JsonObject { ["label"] = $"{Owner}:{p.Base}", ["ref"] = p.Base, ["sha"] = BranchSha(p.Base) ?? "", ["user"] = UserJson(Owner), ["repo"] = RepositoryJson(null) },
            ["merged"] = p.Merged,
            ["mergeable"] = p.State == "open" ? true : null,
            ["mergeable_state"] = p.State == "open" ? "clean" : "unknown",
            ["merged_by"] = p.MergedBy is null ? null : UserJson(p.MergedBy),
            ["merge_commit_sha"] = p.MergeCommitSha,
            ["merged_at"] = p.Merged ? Time(p.Updated) : null,
            ["closed_at"] = p.State == "closed" ? Time(p.Updated) : null,
            ["created_at"] = Time(p.Created),
            ["updated_at"] = Time(p.Updated),
            ["author_association"] = AuthorAssociation(p.Author),
        };
    }

    private JsonObject CommentJson(Comment c, Item item) => new()
    {
        ["id"] = c.Id,
        ["node_id"] = "IC_" + c.Id,
        ["url"] = Api($"/issues/comments/{c.Id}"),
        ["html_url"] = Html($"/{(item.IsPull ? "pull" : "issues")}/{item.Number}#issuecomment-{c.Id}"),
        ["issue_url"] = Api($"/issues/{item.Number}"),
        ["body"] = c.Body,
        ["user"] = UserJson(c.User),
        ["created_at"] = Time(c.Created),
        ["updated_at"] = Time(c.Updated),
        ["author_association"] = AuthorAssociation(c.User),
    };

    private JsonObject ReviewJson(Review r) => new()
    {
        ["id"] = r.Id,
        ["node_id"] = "PRR_" + r.Id,
        ["user"] = UserJson(r.User),
        ["body"] = r.Body,
        ["state"] = r.State,
        ["commit_id"] = r.CommitId,
        ["html_url"] = Html($"/pull/{r.Pull}#pullrequestreview-{r.Id}"),
        ["pull_request_url"] = Api($"/pulls/{r.Pull}"),
        ["submitted_at"] = r.State == "PENDING" ? null : Time(r.Submitted),
        ["author_association"] = AuthorAssociation(r.User),
    };

    private JsonObject ReviewCommentJson(Review r, ReviewComment c, int index) => new()
    {
        ["id"] = c.Id,
        ["pull_request_review_id"] = r.Id,
        ["path"] = c.Path,
        ["line"] = c.Line,
        ["side"] = c.Side,
        ["position"] = index + 1,
        ["commit_id"] = r.CommitId,
        ["body"] = c.Body,
        ["user"] = UserJson(r.User),
        ["html_url"] = Html($"/pull/{r.Pull}#discussion_r{c.Id}"),
        ["pull_request_url"] = Api($"/pulls/{r.Pull}"),
    };

    private JsonObject TimelineJson(TimelineEvent t)
    {
        var node = new JsonObject
        {
            ["id"] = t.Id,
            ["node_id"] = "E_" + t.Id,
            ["url"] = Api($"/issues/events/{t.Id}"),
            ["actor"] = UserJson(t.Actor),
            ["event"] = t.Event,
            ["commit_id"] = null,
            ["created_at"] = Time(t.Created),
        };
        if (t.Event == "review_requested")
        {
            node["review_requester"] = UserJson(t.Actor);
            node["requested_reviewer"] = UserJson(t.Subject);
        }
        else
        {
            node["assignee"] = UserJson(t.Subject);
        }

        return node;
    }

    private static string Time(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private JsonObject IssuePayload(string action, Item issue, string sender) =>
        new JsonObject { ["action"] = action, ["issue"] = IssueJson(issue) }.Also(p => AddCommon(p, sender));

    private JsonObject PullPayload(string action, Item pull, string sender) =>
        new JsonObject { ["action"] = action, ["number"] = pull.Number, ["pull_request"] = PullJson(pull) }.Also(p => AddCommon(p, sender));

    /// <summary>What every delivery of an installed App's repository carries: the repository, the sender, and the installation.</summary>
    private void AddCommon(JsonObject payload, string sender)
    {
        payload["repository"] = RepositoryJson(null);
        payload["organization"] = new JsonObject { ["login"] = Owner, ["id"] = 1 };
        payload["sender"] = UserJson(sender);
        if (App is not null)
        {
            payload["installation"] = new JsonObject { ["id"] = App.InstallationId, ["node_id"] = "MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9u" };
        }
    }

    /// <summary>Records a delivery and, unless dropped, sends it once, asynchronously, as GitHub does.</summary>
    private void Emit(string eventName, string sender, JsonObject payload)
    {
        var body = Encoding.UTF8.GetBytes(payload.ToJsonString());
        var delivery = new Delivery(Guid.NewGuid().ToString(), eventName, payload["action"]?.GetValue<string>(), sender, payload["sender"]!["type"]!.GetValue<string>(), body);
        _deliveries.Enqueue(delivery);
        if (DropWebhooks || WebhookUrl is null)
        {
            return;
        }

        _ = Task.Run(() => SendAsync(delivery));
    }

    /// <summary>Sends <paramref name="delivery"/> with GitHub's headers; <paramref name="signature"/> replaces the <c>X-Hub-Signature-256</c> value when given.</summary>
    public async Task<HttpResponseMessage> SendAsync(Delivery delivery, string? signature = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookUrl) { Content = new ByteArrayContent(delivery.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.TryAddWithoutValidation("User-Agent", "GitHub-Hookshot/8e03811");
        request.Headers.Add("X-GitHub-Event", delivery.Event);
        request.Headers.Add("X-GitHub-Delivery", delivery.Id);
        request.Headers.Add("X-GitHub-Hook-ID", HookId.ToString(CultureInfo.InvariantCulture));
        request.Headers.Add("X-GitHub-Hook-Installation-Target-Type", "repository");
        request.Headers.Add("X-GitHub-Hook-Installation-Target-ID", "1296269");
        request.Headers.Add("X-Hub-Signature-256", signature ?? Sign(delivery.Body));
        try
        {
            return await _webhookClient.SendAsync(request);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
        {
            return new HttpResponseMessage(HttpStatusCode.BadGateway);
        }
    }

    /// <summary><c>sha256=</c> and the hex HMAC-SHA256 of the exact body under <see cref="WebhookSecret"/>.</summary>
    public string Sign(byte[] body) => "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), body));

    /// <summary>One REST request; <paramref name="User"/> is the login its credentials resolved to (null when refused), <paramref name="RateLimited"/> the status a rate limit answered.</summary>
    public sealed record ApiCall(string Method, string Path, string Query, string? User, string Body, int? RateLimited = null);

    public sealed record Delivery(string Id, string Event, string? Action, string Sender, string SenderType, byte[] Body);

    public sealed record MintedToken(string Token, DateTimeOffset ExpiresAt, IReadOnlyList<string>? Repositories);

    private sealed record Credential(string Login, string Type, DateTimeOffset? ExpiresAt);

    private sealed class Item(long id, long number, string title, string body, string author)
    {
        public long Id { get; } = id;

        public long Number { get; } = number;

        public string Title { get; } = title;

        public string Body { get; } = body;

        public string Author { get; } = author;

        public string State { get; set; } = "open";

        public List<string> Assignees { get; set; } = [];

        public string? Head { get; init; }

        public string Base { get; init; } = "main";

        public bool Draft { get; init; }

        public bool IsPull => Head is not null;

        public bool Merged { get; set; }

        public string? MergedBy { get; set; }

        public string? MergeCommitSha { get; set; }

        /// <summary>The head branch's tip last announced (opened or synchronize).</summary>
        public string? LastHead { get; set; }

        public List<string> RequestedReviewers { get; } = [];

        public DateTimeOffset Created { get; } = DateTimeOffset.UtcNow;

        public DateTimeOffset Updated { get; set; } = DateTimeOffset.UtcNow;
    }

    private sealed class Comment(long id, long item, string user, string body, DateTimeOffset created)
    {
        public long Id { get; } = id;

        public long Item { get; } = item;

        public string User { get; } = user;

        public string Body { get; set; } = body;

        public DateTimeOffset Created { get; } = created;

        public DateTimeOffset Updated { get; set; } = created;
    }

    private sealed record Review(long Id, long Pull, string User, string State, string Body, string CommitId, List<ReviewComment> Comments, DateTimeOffset Submitted);

    private sealed record ReviewComment(long Id, string Path, long Line, string Side, string Body);

    /// <summary>An <c>assigned</c>/<c>unassigned</c> (<paramref name="Subject"/> the assignee) or <c>review_requested</c> (<paramref name="Subject"/> the reviewer) event by <paramref name="Actor"/>.</summary>
    private sealed record TimelineEvent(long Id, long Item, string Event, string Actor, string Subject, DateTimeOffset Created);
}
