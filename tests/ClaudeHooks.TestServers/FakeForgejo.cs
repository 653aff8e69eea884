using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ClaudeHooks.TestServers;

/// <summary>
/// A contract-faithful stand-in for Forgejo: exactly the REST endpoints claude-hooks calls (paths, status codes and
/// field names of the Forgejo API), backed by real bare repositories of a <see cref="GitHttpServer"/>. Every call is
/// recorded, and after each call it delivers the signed webhook the real forge would, asynchronously. As Forgejo, the
/// base repository keeps every pull request's head at <c>refs/pull/{n}/head</c>, moved by each push to the head branch,
/// a fork's (<see cref="CreateForkAsync"/>: another owner's repository on the same git server) included.
/// </summary>
public sealed class FakeForgejo : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly GitHttpServer _git;
    private readonly ConcurrentDictionary<string, string> _tokens = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _permissions = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, long> _forks = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentQueue<ApiCall> _calls = new();
    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly List<Item> _items = [];
    private readonly List<Review> _reviews = [];
    private readonly List<TimelineEntry> _timeline = [];
    private readonly Dictionary<long, (long Item, string Body, string User)> _comments = [];
    private readonly HttpClient _webhookClient = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly Lock _faults = new();
    private readonly ConcurrentDictionary<ForgeWriteKind, TaskCompletionSource> _held = new();
    private readonly ConcurrentDictionary<ForgeWriteKind, TaskCompletionSource> _released = new();
    private long _nextId = 100;

    private FakeForgejo(WebApplication app, GitHttpServer git, string host, int port)
    {
        _app = app;
        _git = git;
        Url = new Uri($"http://{host}:{port}");
    }

    public Uri Url { get; }

    public string Owner { get; } = "it-owner";

    public string Repo { get; private set; } = "";

    public string FullName => $"{Owner}/{Repo}";

    public Uri? WebhookUrl { get; set; }

    public string WebhookSecret { get; set; } = "";

    /// <summary>Drop deliveries instead of sending them (the forge does not retry), for backstop tests.</summary>
    public bool DropWebhooks { get; set; }

    /// <summary>How many merge calls answer 405 "Please try again later" before one succeeds.</summary>
    public int MergeTryAgainLater { get; set; }

    /// <summary>
    /// The next call of each kind here is applied in full (state, git, webhooks) and then answered 502 Bad Gateway
    /// with a proxy's HTML page, as when the answer is lost between the forge and the client; once per kind.
    /// </summary>
    public ISet<ForgeWriteKind> FailAfterApply { get; set; } = new HashSet<ForgeWriteKind>();

    /// <summary>The next call of each kind here is answered 429 with <c>Retry-After: 1</c> and not applied, as a rate-limiting proxy would; once per kind.</summary>
    public ISet<ForgeWriteKind> RateLimitNext { get; set; } = new HashSet<ForgeWriteKind>();

    /// <summary>
    /// The next call of each kind here is applied in full and its answer then held until <see cref="Release"/> or until
    /// the client drops the connection, as when the client dies while the forge answers; once per kind.
    /// </summary>
    public ISet<ForgeWriteKind> HoldAfterApply { get; set; } = new HashSet<ForgeWriteKind>();

    /// <summary>Completes once a call of <paramref name="kind"/> held by <see cref="HoldAfterApply"/> has been applied.</summary>
    public Task Held(ForgeWriteKind kind) => Signal(_held, kind).Task;

    /// <summary>Lets the held call of <paramref name="kind"/> answer (to nobody, when its client is gone).</summary>
    public void Release(ForgeWriteKind kind) => Signal(_released, kind).TrySetResult();

    public IReadOnlyList<ApiCall> Calls => [.. _calls];

    public IReadOnlyList<Delivery> Deliveries => [.. _deliveries];

    public string BarePath => _git.BarePath(Owner, Repo);

    public static async Task<FakeForgejo> StartAsync(string address, GitHttpServer git, string repo)
    {
        var port = ScriptedModelServer.FreePort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Parse(address), port));
        var app = builder.Build();
        var forge = new FakeForgejo(app, git, address, port) { Repo = repo };
        await InstallPullHookAsync(forge.BarePath);
        app.Use(forge.CheckContractAsync);
        forge.Map(app);
        await app.StartAsync();
        return forge;
    }

    public void AddUser(string login, string token, string permission)
    {
        _tokens[token] = login;
        _permissions[login] = permission;
    }

    /// <summary>
    /// Forks the repository to <paramref name="owner"/> on the same git server (<c>{owner}/{Repo}</c>, every branch
    /// copied), as <c>POST /repos/{o}/{r}/forks</c> does, and returns its clone URL. A pull request names a fork's
    /// branch as <c>{owner}:{branch}</c>.
    /// </summary>
    public async Task<string> CreateForkAsync(string owner)
    {
        var bare = _git.BarePath(owner, Repo);
        await GitHttpServer.GitAsync(_git.Root, "clone", "-q", "--bare", BarePath, bare);
        await GitHttpServer.GitAsync(bare, "config", "http.receivepack", "true");
        await InstallPullHookAsync(bare);
        _forks[owner] = 2 + _forks.Count;
        return _git.Url(owner, Repo);
    }

    /// <summary>
    /// As Forgejo after every push: an open pull request's <c>refs/pull/{n}/head</c>, in its base repository, is set to
    /// its head branch's new tip, whichever repository (a fork) the branch is in. The push waits for the hook, so the ref
    /// has moved when <c>git push</c> returns. Which pull requests a repository's branches head is in <see cref="PullMap"/>.
    /// </summary>
    private static async Task InstallPullHookAsync(string bare)
    {
        var hook = Path.Combine(bare, "hooks", "post-receive");
        Directory.CreateDirectory(Path.GetDirectoryName(hook)!);
        await File.WriteAllTextAsync(hook, $$"""
            #!/bin/sh
            # Lines of the map: <head branch> <base repository> <pull request number>.
            map=$PWD/{{PullMap}}
            here=$PWD
            unset GIT_DIR GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES GIT_QUARANTINE_PATH
            [ -f "$map" ] || exit 0
            while read -r old new ref; do
                case "$new" in *[!0]*) ;; *) continue ;; esac
                while read -r branch base number; do
                    [ "$ref" = "refs/heads/$branch" ] || continue
                    git --git-dir="$base" fetch -q --no-tags "$here" "+$ref:refs/pull/$number/head"
                done < "$map"
            done

            """);
        File.SetUnixFileMode(hook, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    public long CreateIssue(string title, string body, string author)
    {
        lock (_items)
        {
            var item = new Item(++_nextId % 1000, title, body, author) { };
            item.Number = _items.Count + 1;
            _items.Add(item);
            return item.Number;
        }
    }

    /// <summary>Every way a request to the API broke Forgejo's own contract (<see cref="ForgejoContract"/>); each was answered 422 naming it.</summary>
    public IReadOnlyList<string> ContractViolations => [.. _violations];

    public async ValueTask DisposeAsync()
    {
        _webhookClient.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (!_violations.IsEmpty)
        {
            // A client that drifted from Forgejo fails the test that made the request, whatever it asserted.
            throw new InvalidOperationException("requests broke Forgejo's API contract:\n" + string.Join("\n", _violations));
        }
    }

    /// <summary>Holds each API request against Forgejo's Swagger document before the fake answers it; a mismatch is answered 422 and kept.</summary>
    private async Task CheckContractAsync(HttpContext context, Func<Task> next)
    {
        context.Request.EnableBuffering();
        var body = await new StreamReader(context.Request.Body, leaveOpen: true).ReadToEndAsync();
        context.Request.Body.Position = 0;
        var query = context.Request.Query.ToDictionary(q => q.Key, q => q.Value.ToString());
        var problems = ForgejoContract.Forgejo.Check(context.Request.Method, context.Request.Path.Value ?? "/", query, body);
        if (problems.Count == 0)
        {
            await next();
            return;
        }

        foreach (var problem in problems)
        {
            _violations.Enqueue(problem);
        }

        context.Response.StatusCode = 422;
        await context.Response.WriteAsJsonAsync(new { message = "not Forgejo's API: " + string.Join("; ", problems), url = "http://fake-forge/api/swagger" });
    }

    private void Map(WebApplication app)
    {
        var api = app.MapGroup("/api/v1");
        api.MapGet("/user", (HttpContext c) => Authed(c, user => Results.Json(User(user))));
        api.MapGet("/repos/{owner}/{repo}", (HttpContext c) => Authed(c, _ => Results.Json(new { full_name = FullName, default_branch = "main", clone_url = $"{Url}{FullName}.git" })));
        api.MapGet("/repos/{owner}/{repo}/collaborators/{user}/permission", (HttpContext c, string user) => Authed(c, _ =>
            _permissions.TryGetValue(user, out var permission) ? Results.Json(new { permission, user = User(user) }) : Error(404, "user is not a collaborator")));
        api.MapGet("/repos/{owner}/{repo}/issues", (HttpContext c) => Authed(c, _ => Results.Json(Page(c, Snapshot().Where(i => !i.IsPull && i.State == "open").Select(IssueJson)))));
        api.MapGet("/repos/{owner}/{repo}/issues/{number:long}/timeline", (HttpContext c, long number) => Authed(c, _ => Timeline(c, number)));
        api.MapGet("/repos/{owner}/{repo}/issues/{number:long}", (HttpContext c, long number) => Authed(c, _ => Find(number) is { } i ? Results.Json(IssueJson(i)) : Error(404, "issue does not exist")));
        api.MapPatch("/repos/{owner}/{repo}/issues/{number:long}", (HttpContext c, long number) => AuthedBody(c, (user, body) => EditIssue(user, number, body), ForgeWriteKind.EditIssue));
        api.MapGet("/repos/{owner}/{repo}/issues/{number:long}/comments", (HttpContext c, long number) => Authed(c, _ => ListComments(c, number)));
        api.MapPost("/repos/{owner}/{repo}/issues/{number:long}/comments", (HttpContext c, long number) => AuthedBody(c, (user, body) => CreateComment(user, number, body), ForgeWriteKind.Comment));
        api.MapPatch("/repos/{owner}/{repo}/issues/comments/{id:long}", (HttpContext c, long id) => AuthedBody(c, (user, body) => EditComment(user, id, body), ForgeWriteKind.EditComment));
        api.MapPost("/repos/{owner}/{repo}/pulls", (Delegate)((HttpContext c) => AuthedBody(c, CreatePull, ForgeWriteKind.Pull)));
        api.MapGet("/repos/{owner}/{repo}/pulls", (HttpContext c) => Authed(c, _ => Results.Json(Page(c, Snapshot().Where(i => i.IsPull && i.State == "open").Select(PullJson)))));
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:long}", (HttpContext c, long number) => Authed(c, _ => Find(number) is { IsPull: true } p ? Results.Json(PullJson(p)) : Error(404, "pull request does not exist")));
        // Forgejo routes the head as a wildcard (/{base}/*): a branch's slashes arrive as slashes.
        api.MapGet("/repos/{owner}/{repo}/pulls/{base}/{**head}", (HttpContext c, string @base, string head) => Authed(c, _ =>
            Snapshot().LastOrDefault(i => i.IsPull && i.Base == @base && HeadIs(i, Uri.UnescapeDataString(head))) is { } p ? Results.Json(PullJson(p)) : Error(404, "pull request does not exist")));
        api.MapPost("/repos/{owner}/{repo}/pulls/{number:long}/requested_reviewers", (HttpContext c, long number) => AuthedBody(c, (user, body) => RequestReviewers(user, number, body), ForgeWriteKind.ReviewRequest));
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:long}/reviews", (HttpContext c, long number) => Authed(c, _ => Results.Json(Page(c, ReviewsOf(number).Select(ReviewJson)))));
        api.MapGet("/repos/{owner}/{repo}/pulls/{number:long}/reviews/{id:long}/comments", (HttpContext c, long number, long id) => Authed(c, _ =>
            ReviewsOf(number).FirstOrDefault(r => r.Id == id) is { } r ? Results.Json(r.Comments.Select((x, i) => new { id = (id * 100) + i, path = x.Path, position = x.Line, original_position = 0, body = x.Body, user = User(r.User) })) : Error(404, "review does not exist")));
        api.MapPost("/repos/{owner}/{repo}/pulls/{number:long}/reviews", (HttpContext c, long number) => AuthedBody(c, (user, body) => CreateReview(user, number, body), ForgeWriteKind.Review));
        api.MapPost("/repos/{owner}/{repo}/pulls/{number:long}/merge", (HttpContext c, long number) => AuthedBody(c, (user, body) => Merge(user, number, body), ForgeWriteKind.Merge));
        api.MapDelete("/repos/{owner}/{repo}/branches/{**branch}", (HttpContext c, string branch) => AuthedBody(c, (_, _) => DeleteBranch(Uri.UnescapeDataString(branch)), ForgeWriteKind.DeleteBranch));
        app.MapFallback((HttpContext c) => Error(404, $"no route {c.Request.Method} {c.Request.Path} in the fake forge"));
    }

    private IResult EditIssue(string user, long number, JsonObject body)
    {
        if (Find(number) is not { } issue)
        {
            return Error(404, "issue does not exist");
        }

        if (body["assignees"] is JsonArray assignees)
        {
            var assigned = assignees.Select(a => a!.GetValue<string>()).ToList();
            // As Forgejo: one "assignees" entry per user taken off, then per user added, each by the one who edited.
            foreach (var removed in issue.Assignees.Except(assigned))
            {
                Record(issue.Number, TimelineEntry.Assignees, user, removed, removed: true);
            }

            foreach (var added in assigned.Except(issue.Assignees))
            {
                Record(issue.Number, TimelineEntry.Assignees, user, added, removed: false);
            }

            issue.Assignees = assigned;
            issue.Updated = DateTimeOffset.UtcNow;
            Emit("issues", issue.IsPull ? "pull_request_assign" : "issue_assign", user, IssuePayload("assigned", issue, user));
        }

        return Results.Json(IssueJson(issue), statusCode: 201);
    }

    private IResult CreateComment(string user, long number, JsonObject body)
    {
        if (Find(number) is not { } item)
        {
            return Error(404, "issue does not exist");
        }

        var text = body["body"]?.GetValue<string>();
        if (string.IsNullOrEmpty(text))
        {
            return Error(422, "Body: Required");
        }

        long id;
        lock (_comments)
        {
            id = ++_nextId;
            _comments[id] = (number, text, user);
        }

        var payload = new JsonObject
        {
            ["action"] = "created",
            ["issue"] = JsonSerializer.SerializeToNode(IssueJson(item)),
            ["comment"] = new JsonObject { ["id"] = id, ["body"] = text, ["user"] = JsonSerializer.SerializeToNode(User(user)) },
            ["repository"] = RepositoryJson(),
            ["sender"] = JsonSerializer.SerializeToNode(User(user)),
            ["is_pull"] = item.IsPull,
        };
        Emit("issue_comment", item.IsPull ? "pull_request_comment" : "issue_comment", user, payload);
        return Results.Json(new { id, body = text, user = User(user) }, statusCode: 201);
    }

    private IResult EditComment(string user, long id, JsonObject body)
    {
        lock (_comments)
        {
            if (!_comments.TryGetValue(id, out var comment))
            {
                return Error(404, "comment does not exist");
            }

            if (comment.User != user)
            {
                return Error(403, "user is not the poster of the comment");
            }

            _comments[id] = (comment.Item, body["body"]!.GetValue<string>(), user);
            return Results.Json(new { id, body = _comments[id].Body, user = User(user) });
        }
    }

    /// <summary>The comments on an issue or pull request, in order: (id, author, body).</summary>
    public IReadOnlyList<(long Id, string User, string Body)> CommentsOn(long number)
    {
        lock (_comments)
        {
            return _comments.Where(c => c.Value.Item == number).OrderBy(c => c.Key).Select(c => (c.Key, c.Value.User, c.Value.Body)).ToList();
        }
    }

    /// <summary>As Forgejo: every comment at once (the endpoint takes no page or limit), with <c>X-Total-Count</c>.</summary>
    private IResult ListComments(HttpContext context, long number)
    {
        if (Find(number) is not { } item)
        {
            return Error(404, "issue does not exist");
        }

        var comments = CommentsOn(number);
        context.Response.Headers["X-Total-Count"] = comments.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Json(comments.Select(c => new
        {
            id = c.Id, body = c.Body, user = User(c.User), html_url = $"{Url}{FullName}/{(item.IsPull ? "pulls" : "issues")}/{number}#issuecomment-{c.Id}",
            issue_url = item.IsPull ? "" : $"{Url}{FullName}/issues/{number}", pull_request_url = item.IsPull ? $"{Url}{FullName}/pulls/{number}" : "",
        }));
    }

    /// <summary>Records who made a change, as the forge's timeline does, in the call that made it.</summary>
    private void Record(long item, string type, string user, string assignee, bool removed)
    {
        lock (_timeline)
        {
            _timeline.Add(new TimelineEntry(Interlocked.Increment(ref _nextId), item, type, user, assignee, removed, DateTimeOffset.UtcNow));
        }
    }

    /// <summary>As Forgejo's <c>GET .../issues/{index}/timeline</c>: TimelineComment objects, oldest first, paged by <c>page</c>/<c>limit</c>.</summary>
    private IResult Timeline(HttpContext context, long number)
    {
        if (Find(number) is not { } item)
        {
            return Error(404, "issue does not exist");
        }

        List<TimelineEntry> entries;
        lock (_timeline)
        {
            entries = _timeline.Where(t => t.Item == number).OrderBy(t => t.Id).ToList();
        }

        return Results.Json(Page(context, entries.Select(t => new
        {
            id = t.Id, type = t.Type, user = User(t.User), assignee = User(t.Assignee), assignee_team = (object?)null, removed_assignee = t.Removed,
            body = "", created_at = t.Created, updated_at = t.Created,
            html_url = $"{Url}{FullName}/{(item.IsPull ? "pulls" : "issues")}/{number}#issuecomment-{t.Id}",
            issue_url = item.IsPull ? "" : $"{Url}{FullName}/issues/{number}", pull_request_url = item.IsPull ? $"{Url}{FullName}/pulls/{number}" : "",
        })));
    }

    private IResult CreatePull(string user, JsonObject body)
    {
        var head = body["head"]?.GetValue<string>();
        var @base = body["base"]?.GetValue<string>();
        var title = body["title"]?.GetValue<string>();
        if (head is null || @base is null || string.IsNullOrEmpty(title))
        {
            return Error(422, "Head, Base and Title are required");
        }

        var (headOwner, branch) = ParseHead(head);
        if (headOwner is not null && !_forks.ContainsKey(headOwner))
        {
            return Error(404, $"{headOwner} has no fork of {FullName}");
        }

        if (Snapshot().Any(i => i.IsPull && i.State == "open" && HeadIs(i, head) && i.Base == @base))
        {
            return Error(409, $"pull request already exists for these targets");
        }

        if (BranchSha(HeadBare(headOwner), branch) is null)
        {
            return Error(404, $"branch {head} does not exist");
        }

        Item pull;
        lock (_items)
        {
            pull = new Item(++_nextId, title, body["body"]?.GetValue<string>() ?? "", user) { Head = branch, HeadOwner = headOwner, Base = @base, Number = _items.Count + 1 };
            _items.Add(pull);
        }

        // As Forgejo: the base repository holds the head at refs/pull/N/head from the start, a fork's commits included.
        Git("fetch", "-q", "--no-tags", HeadBare(headOwner), $"+refs/heads/{branch}:refs/pull/{pull.Number}/head");
        WritePullMap(headOwner);
        Emit("pull_request", "pull_request", user, PullPayload("opened", pull, user));
        return Results.Json(PullJson(pull), statusCode: 201);
    }

    private IResult RequestReviewers(string user, long number, JsonObject body)
    {
        if (Find(number) is not { IsPull: true } pull)
        {
            return Error(404, "pull request does not exist");
        }

        var reviewers = body["reviewers"]?.AsArray().Select(r => r!.GetValue<string>()).ToList() ?? [];
        if (reviewers.Any(r => r == pull.Author))
        {
            return Error(422, "poster of pr can't be reviewer");
        }

        foreach (var reviewer in reviewers.Where(r => !pull.RequestedReviewers.Contains(r)))
        {
            pull.RequestedReviewers.Add(reviewer);
            Record(pull.Number, TimelineEntry.ReviewRequest, user, reviewer, removed: false);
            var payload = PullPayload("review_requested", pull, user);
            payload["requested_reviewer"] = JsonSerializer.SerializeToNode(User(reviewer));
            Emit("pull_request", "pull_request_review_request", user, payload);
        }

        return Results.Json(reviewers.Select(r => new { state = "REQUEST_REVIEW", user = User(r) }), statusCode: 201);
    }

    private IResult CreateReview(string user, long number, JsonObject body)
    {
        if (Find(number) is not { IsPull: true } pull)
        {
            return Error(404, "pull request does not exist");
        }

        var state = body["event"]?.GetValue<string>() ?? "";
        var text = body["body"]?.GetValue<string>() ?? "";
        var comments = body["comments"]?.AsArray().Select(c => (c!["path"]!.GetValue<string>(), c["new_position"]!.GetValue<long>(), c["body"]!.GetValue<string>())).ToList() ?? [];
        if (state is "APPROVED" or "REQUEST_CHANGES" && user == pull.Author)
        {
            return Error(422, "approve your own pull is not allowed");
        }

        if (state == "REQUEST_CHANGES" && text.Length == 0)
        {
            return Error(422, "review event REQUEST_CHANGES requires a body");
        }

        var submitted = state is "APPROVED" or "REQUEST_CHANGES" or "COMMENT";
        var review = new Review(++_nextId, number, user, submitted ? state : "PENDING", text, body["commit_id"]?.GetValue<string>() is { Length: > 0 } commit ? commit : PullHead(pull), comments);
        lock (_reviews)
        {
            _reviews.Add(review);
        }

        if (submitted)
        {
            pull.RequestedReviewers.Remove(user);
            var type = state switch { "APPROVED" => "pull_request_review_approved", "REQUEST_CHANGES" => "pull_request_review_rejected", _ => "pull_request_review_comment" };
            var eventName = state switch { "APPROVED" => "pull_request_approved", "REQUEST_CHANGES" => "pull_request_rejected", _ => "pull_request_comment" };
            var payload = PullPayload("reviewed", pull, user);
            payload["review"] = new JsonObject { ["type"] = type, ["content"] = text };
            Emit(eventName, type, user, payload);
        }

        return Results.Json(ReviewJson(review));
    }

    private IResult Merge(string user, long number, JsonObject body)
    {
        if (Find(number) is not { IsPull: true } pull)
        {
            return Error(404, "pull request does not exist");
        }

        if (pull.Merged)
        {
            return Error(405, "The PR is already merged");
        }

        if (MergeTryAgainLater > 0)
        {
            MergeTryAgainLater--;
            return Error(405, "Please try again later");
        }

        var head = PullHead(pull);
        if (body["head_commit_id"]?.GetValue<string>() is { Length: > 0 } expected && expected != head)
        {
            return Error(409, "head out of date");
        }

        var style = body["Do"]?.GetValue<string>() ?? "merge";
        MergeInGit(pull, style, head, user);
        pull.Merged = true;
        pull.MergedHead = head;
        pull.MergeCommitSha = HeadSha(pull.Base);
        pull.State = "closed";
        WritePullMap(pull.HeadOwner);
        // A fork's branch is its owner's: Forgejo deletes it only for a doer who may write to the fork.
        if (body["delete_branch_after_merge"]?.GetValue<bool>() == true && pull.HeadOwner is null)
        {
            Git("update-ref", "-d", $"refs/heads/{pull.Head}");
        }

        Emit("pull_request", "pull_request", user, PullPayload("closed", pull, user));
        return Results.Ok();
    }

    /// <summary>As Forgejo: 204 when deleted, 404 when there is no such branch, 403 for the default branch.</summary>
    private IResult DeleteBranch(string branch)
    {
        if (branch == "main")
        {
            return Error(403, "can not delete default branch");
        }

        if (HeadSha(branch) is null)
        {
            return Error(404, "The target couldn't be found.");
        }

        Git("update-ref", "-d", $"refs/heads/{branch}");
        return Results.NoContent();
    }

    private void MergeInGit(Item pull, string style, string head, string user)
    {
        var work = Directory.CreateTempSubdirectory("fake-forge-merge-").FullName;
        try
        {
            GitAt(work, "clone", "-q", "--branch", pull.Base, BarePath, ".");
            GitAt(work, "fetch", "-q", "origin", $"refs/pull/{pull.Number}/head");
            if (style == "squash")
            {
                GitAt(work, "merge", "-q", "--squash", head);
                GitAt(work, "-c", $"user.name={user}", "-c", $"user.email={user}@forge.invalid", "commit", "-q", "-m", $"{pull.Title} (#{pull.Number})");
            }
            else
            {
                GitAt(work, "-c", $"user.name={user}", "-c", $"user.email={user}@forge.invalid", "merge", "-q", "--no-ff", "-m", $"Merge pull request #{pull.Number}", head);
            }

            GitAt(work, "push", "-q", "origin", $"HEAD:refs/heads/{pull.Base}");
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>The file in a head repository naming the open pull requests its branches head (read by the post-receive hook).</summary>
    private const string PullMap = "fake-forgejo-pulls";

    /// <summary>Rewrites the head repository's <see cref="PullMap"/> from the open pull requests; called under the items' lock.</summary>
    private void WritePullMap(string? headOwner)
    {
        var lines = _items.Where(i => i.IsPull && i.State == "open" && string.Equals(i.HeadOwner, headOwner, StringComparison.OrdinalIgnoreCase))
            .Select(i => $"{i.Head} {BarePath} {i.Number}\n");
        var map = Path.Combine(HeadBare(headOwner), PullMap);
        File.WriteAllText(map + ".new", string.Concat(lines));
        File.Move(map + ".new", map, overwrite: true);
    }

    /// <summary>A create-pull <c>head</c> as Forgejo reads it: a branch of this repository, or <c>{owner}:{branch}</c> (a fork's when the owner is not this repository's).</summary>
    private (string? Owner, string Branch) ParseHead(string head)
    {
        var colon = head.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? (null, head) : (string.Equals(head[..colon], Owner, StringComparison.OrdinalIgnoreCase) ? null : head[..colon], head[(colon + 1)..]);
    }

    private bool HeadIs(Item pull, string head) =>
        ParseHead(head) is var (owner, branch) && string.Equals(pull.HeadOwner, owner, StringComparison.OrdinalIgnoreCase) && pull.Head == branch;

    /// <summary>The bare repository a pull request's head branch lives in: this one, or the fork of <paramref name="headOwner"/>.</summary>
    private string HeadBare(string? headOwner) => headOwner is null ? BarePath : _git.BarePath(headOwner, Repo);

    /// <summary>
    /// As Forgejo reports it: the head branch's tip in the head repository while the branch exists, else the commit kept at
    /// <c>refs/pull/N/head</c> (which the hook no longer moves once the pull request is closed).
    /// </summary>
    private string PullHead(Item pull) =>
        BranchSha(HeadBare(pull.HeadOwner), pull.Head) ?? RefSha(BarePath, $"refs/pull/{pull.Number}/head") ?? pull.MergedHead ?? "";

    private string? HeadSha(string? branch) => BranchSha(BarePath, branch);

    private static string? BranchSha(string bare, string? branch) => branch is null ? null : RefSha(bare, $"refs/heads/{branch}");

    private static string? RefSha(string bare, string reference)
    {
        try
        {
            return GitAt(bare, "rev-parse", "-q", "--verify", reference).Trim();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }

    private string Git(params string[] arguments) => GitAt(BarePath, arguments);

    private static string GitAt(string directory, params string[] arguments) => GitHttpServer.GitAsync(directory, arguments).GetAwaiter().GetResult();

    /// <summary>Sends a delivery as Forgejo does: its headers, a new UUID, HMAC-SHA256 of the exact body; asynchronously, never retried.</summary>
    private void Emit(string eventName, string eventType, string sender, JsonObject payload)
    {
        var body = Encoding.UTF8.GetBytes(payload.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        var delivery = new Delivery(Guid.NewGuid().ToString(), eventName, eventType, sender, payload["action"]?.GetValue<string>(), body);
        _deliveries.Enqueue(delivery);
        if (DropWebhooks || WebhookUrl is null)
        {
            return;
        }

        _ = Task.Run(() => SendAsync(delivery));
    }

    public async Task<HttpResponseMessage> SendAsync(Delivery delivery, string? signature = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, WebhookUrl) { Content = new ByteArrayContent(delivery.Body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        var sig = signature ?? Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(WebhookSecret), delivery.Body));
        foreach (var prefix in new[] { "X-Forgejo", "X-Gitea", "X-Gogs" })
        {
            request.Headers.Add($"{prefix}-Delivery", delivery.Id);
            request.Headers.Add($"{prefix}-Event", delivery.Event);
            request.Headers.Add($"{prefix}-Event-Type", delivery.EventType);
            request.Headers.Add($"{prefix}-Signature", sig);
        }

        request.Headers.Add("X-GitHub-Event", delivery.Event);
        request.Headers.Add("X-Hub-Signature-256", "sha256=" + sig);
        try
        {
            return await _webhookClient.SendAsync(request);
        }
        catch (HttpRequestException)
        {
            return new HttpResponseMessage(HttpStatusCode.BadGateway);
        }
    }

    private IResult Authed(HttpContext context, Func<string, IResult> handler)
    {
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("token ", StringComparison.Ordinal) ? header[6..] : header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? header[7..] : null;
        if (token is null || !_tokens.TryGetValue(token, out var user))
        {
            _calls.Enqueue(new ApiCall(context.Request.Method, context.Request.Path, null, ""));
            return Error(401, "token is required");
        }

        _calls.Enqueue(new ApiCall(context.Request.Method, context.Request.Path, user, ""));
        return handler(user);
    }

    private async Task<IResult> AuthedBody(HttpContext context, Func<string, JsonObject, IResult> handler, ForgeWriteKind? kind = null)
    {
        var text = await new StreamReader(context.Request.Body).ReadToEndAsync();
        var header = context.Request.Headers.Authorization.ToString();
        var token = header.StartsWith("token ", StringComparison.Ordinal) ? header[6..] : null;
        if (token is null || !_tokens.TryGetValue(token, out var user))
        {
            _calls.Enqueue(new ApiCall(context.Request.Method, context.Request.Path, null, text));
            return Error(401, "token is required");
        }

        var fault = kind is { } write ? TakeFault(write) : null;
        _calls.Enqueue(new ApiCall(context.Request.Method, context.Request.Path, user, text, fault));
        if (fault == 429)
        {
            context.Response.Headers.RetryAfter = "1";
            return Results.Text("429 Too Many Requests\n", "text/plain", statusCode: 429);
        }

        IResult result;
        lock (_items)
        {
            result = handler(user, JsonNode.Parse(text.Length == 0 ? "{}" : text)!.AsObject());
        }

        if (kind is { } hold && TakeHold(hold))
        {
            Signal(_held, hold).TrySetResult();
            try
            {
                await Signal(_released, hold).Task.WaitAsync(context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                // The client is gone; the write stays applied.
            }
        }

        // Applied whatever it answered; only the answer is lost, as behind a proxy whose upstream connection broke.
        return fault == 502
            ? Results.Content("<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n", "text/html", statusCode: 502)
            : result;
    }

    /// <summary>The status a fault set for this kind answers with (429 before 502 when both are set), taking it.</summary>
    private int? TakeFault(ForgeWriteKind kind)
    {
        lock (_faults)
        {
            return RateLimitNext.Remove(kind) ? 429 : FailAfterApply.Remove(kind) ? 502 : null;
        }
    }

    private bool TakeHold(ForgeWriteKind kind)
    {
        lock (_faults)
        {
            return HoldAfterApply.Remove(kind);
        }
    }

    private static TaskCompletionSource Signal(ConcurrentDictionary<ForgeWriteKind, TaskCompletionSource> signals, ForgeWriteKind kind) =>
        signals.GetOrAdd(kind, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));

    private static IResult Error(int status, string message) => Results.Json(new { message, url = "http://fake-forge/api/swagger" }, statusCode: status);

    private static IEnumerable<T> Page<T>(HttpContext context, IEnumerable<T> items)
    {
        var page = int.TryParse(context.Request.Query["page"], out var p) && p > 0 ? p : 1;
        var limit = int.TryParse(context.Request.Query["limit"], out var l) && l > 0 ? Math.Min(l, 50) : 30;
        var all = items.ToList();
        context.Response.Headers["X-Total-Count"] = all.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return all.Skip((page - 1) * limit).Take(limit);
    }

    private List<Item> Snapshot()
    {
        lock (_items)
        {
            return [.. _items];
        }
    }

    private Item? Find(long number) => Snapshot().FirstOrDefault(i => i.Number == number);

    private List<Review> ReviewsOf(long number)
    {
        lock (_reviews)
        {
            return _reviews.Where(r => r.Pull == number).ToList();
        }
    }

    private static object User(string login) => new { id = Math.Abs(login.GetHashCode(StringComparison.Ordinal)) % 10000, login, username = login, full_name = login };

    private JsonObject RepositoryJson() => RepositoryJson(null);

    /// <summary>This repository, or the fork of <paramref name="forkOwner"/>.</summary>
    private JsonObject RepositoryJson(string? forkOwner) => new()
    {
        ["id"] = forkOwner is null ? 1 : _forks[forkOwner],
        ["name"] = Repo,
        ["full_name"] = $"{forkOwner ?? Owner}/{Repo}",
        ["owner"] = JsonSerializer.SerializeToNode(User(forkOwner ?? Owner)),
        ["fork"] = forkOwner is not null,
        ["clone_url"] = $"{Url}{forkOwner ?? Owner}/{Repo}.git",
        ["default_branch"] = "main",
    };

    private object IssueJson(Item i) => new
    {
        id = i.Id, number = i.Number, title = i.Title, body = i.Body, state = i.State, user = User(i.Author),
        assignees = i.Assignees.Count == 0 ? null : i.Assignees.Select(User).ToArray(),
        pull_request = i.IsPull ? new { merged = i.Merged, draft = false } : null,
        updated_at = i.Updated, html_url = $"{Url}{FullName}/issues/{i.Number}",
    };

    private object PullJson(Item p)
    {
        var sha = PullHead(p);
        return new
        {
            id = p.Id, number = p.Number, title = p.Title, body = p.Body, state = p.State, merged = p.Merged, mergeable = !p.Merged,
            user = User(p.Author), head = new { label = p.Head, @ref = p.Head, sha, repo_id = p.HeadOwner is null ? 1 : _forks[p.HeadOwner], repo = RepositoryJson(p.HeadOwner) }, @base = new { label = p.Base, @ref = p.Base, sha = HeadSha(p.Base) ?? "", repo_id = 1, repo = RepositoryJson() },
            merge_commit_sha = p.MergeCommitSha,
            requested_reviewers = p.RequestedReviewers.Select(User).ToArray(), html_url = $"{Url}{FullName}/pulls/{p.Number}", updated_at = p.Updated,
        };
    }

    private object ReviewJson(Review r)
    {
        var head = Find(r.Pull) is { } pull ? PullHead(pull) : "";
        return new { id = r.Id, user = User(r.User), state = r.State, body = r.Body, commit_id = r.CommitId, stale = head.Length > 0 && head != r.CommitId, dismissed = false, comments_count = r.Comments.Count };
    }

    private JsonObject IssuePayload(string action, Item issue, string sender) => new()
    {
        ["action"] = action,
        ["number"] = issue.Number,
        ["issue"] = JsonSerializer.SerializeToNode(IssueJson(issue)),
        ["repository"] = RepositoryJson(),
        ["sender"] = JsonSerializer.SerializeToNode(User(sender)),
    };

    private JsonObject PullPayload(string action, Item pull, string sender) => new()
    {
        ["action"] = action,
        ["number"] = pull.Number,
        ["pull_request"] = JsonSerializer.SerializeToNode(PullJson(pull)),
        ["requested_reviewer"] = null,
        ["repository"] = RepositoryJson(),
        ["sender"] = JsonSerializer.SerializeToNode(User(sender)),
        ["commit_id"] = "",
        ["review"] = null,
    };

    /// <summary>One request; <paramref name="Injected"/> is the status a fault answered it with (502 after applying, 429 instead), null when the fake answered.</summary>
    public sealed record ApiCall(string Method, string Path, string? User, string Body, int? Injected = null);

    public sealed record Delivery(string Id, string Event, string EventType, string Sender, string? Action, byte[] Body);

    private sealed class Item(long id, string title, string body, string author)
    {
        public long Id { get; } = id;

        public long Number { get; set; }

        public string Title { get; } = title;

        public string Body { get; } = body;

        public string Author { get; } = author;

        public string State { get; set; } = "open";

        public List<string> Assignees { get; set; } = [];

        /// <summary>The head branch's name, in this repository or in <see cref="HeadOwner"/>'s fork.</summary>
        public string? Head { get; init; }

        /// <summary>The owner of the fork the head branch is in; null for a branch of this repository.</summary>
        public string? HeadOwner { get; init; }

        public string Base { get; init; } = "main";

        public bool IsPull => Head is not null;

        public bool Merged { get; set; }

        public string? MergedHead { get; set; }

        public string? MergeCommitSha { get; set; }

        public List<string> RequestedReviewers { get; } = [];

        public DateTimeOffset Updated { get; set; } = DateTimeOffset.UtcNow;
    }

    private sealed record Review(long Id, long Pull, string User, string State, string Body, string CommitId, List<(string Path, long Line, string Body)> Comments);

    /// <summary>An "assignees" or "review_request" entry: <paramref name="User"/> acted, <paramref name="Assignee"/> was assigned or asked to review.</summary>
    private sealed record TimelineEntry(long Id, long Item, string Type, string User, string Assignee, bool Removed, DateTimeOffset Created)
    {
        public const string Assignees = "assignees";
        public const string ReviewRequest = "review_request";
    }
}
