using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Forge;

/// <summary>
/// Carries out recorded forge writes exactly once. Each intent's attempt is counted before its request goes out;
/// an intent tried before is first looked for on the forge (its hidden marker in a comment or review, the pull
/// request for its head and base, the reviewer among those requested, the merged state), so neither a lost answer
/// nor a crash repeats a write. A write the forge refused fails at once (with a note in the task's history);
/// one whose outcome is unknown is retried after a backoff, within <see cref="MaxAttempts"/>. A task's writes go out
/// in order; different tasks do not wait for each other.
/// </summary>
internal sealed partial class ForgeOutbox(
    AgentsConfig config,
    IForgeStore forgeStore,
    ITaskStore taskStore,
    ForgeFlows flows,
    TimeProvider clock,
    ILogger<ForgeOutbox> logger) : BackgroundService
{
    public const int MaxAttempts = 8;

    private static readonly TimeSpan IdlePoll = TimeSpan.FromSeconds(5);
    private readonly SemaphoreSlim _nudge = new(0, int.MaxValue);

    // One write at a time, whoever asks (the loop or a performer): an intent is never carried out twice at once.
    private readonly SemaphoreSlim _gate = new(1, 1);

    public void Nudge() => _nudge.Release();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await RunDueAsync(stoppingToken) == 0)
                {
                    var next = await forgeStore.NextIntentDueAsync(stoppingToken);
                    var wait = next is { } at ? TimeSpan.FromTicks(Math.Clamp((at - clock.GetUtcNow()).Ticks, TimeSpan.FromMilliseconds(50).Ticks, IdlePoll.Ticks)) : IdlePoll;
                    await _nudge.WaitAsync(wait, stoppingToken);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogLoopFailed(e.Message);
                await Task.Delay(IdlePoll, stoppingToken);
            }
        }
    }

    /// <summary>One pass: carries out the intents that are due; how many there were.</summary>
    internal async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var due = await forgeStore.DueIntentsAsync(clock.GetUtcNow(), 50, cancellationToken);
        foreach (var intent in due)
        {
            await ProcessAsync(intent, retryLater: true, cancellationToken);
        }

        return due.Count;
    }

    /// <summary>Records <paramref name="intent"/> (once per key) and carries it out now; for a performer that needs the answer. Not retried in the background: the task's own retry does that.</summary>
    public async Task<StoredIntent> RunNowAsync(ForgeIntent intent, CancellationToken cancellationToken)
    {
        await forgeStore.RecordIntentsAsync([intent], cancellationToken);
        var stored = (await forgeStore.GetIntentAsync(intent.Key, cancellationToken))!;
        return await ProcessAsync(stored, retryLater: false, cancellationToken);
    }

    private async Task<StoredIntent> ProcessAsync(StoredIntent seen, bool retryLater, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            var intent = await forgeStore.GetIntentAsync(seen.Key, cancellationToken) ?? seen;
            if (intent.State != StoredIntent.Pending)
            {
                return intent;
            }

            await forgeStore.BeginIntentAttemptAsync(intent.Id, CancellationToken.None);
            try
            {
                var repository = config.Forge?.Find(intent.Repo) ?? throw new ForgeApiException($"{intent.Repo} is no longer configured in {config.FilePath}", System.Net.HttpStatusCode.NotFound);
                var agent = config.Find(intent.Agent) ?? throw new ForgeApiException($"agent {intent.Agent} is no longer configured in {config.FilePath}", System.Net.HttpStatusCode.NotFound);
                var client = flows.Client(agent, repository);
                var payload = Payloads.Read(intent.Payload);

                // Tried before: the write may have happened, and its answer was lost. Ask the forge first.
                var result = (intent.Attempts > 0 || intent.Kind is ForgeIntent.OpenPull or ForgeIntent.Track ? await FindAsync(intent, agent, repository, client, payload, cancellationToken) : null)
                    ?? await WriteOrFindAsync(intent, agent, repository, client, payload, cancellationToken);
                var followUps = await flows.AfterAsync(intent, Payloads.Read(result), cancellationToken);
                await forgeStore.CompleteIntentAsync(intent.Id, result, followUps, CancellationToken.None);
                LogDone(intent.Kind, intent.Key, intent.Attempts + 1);
                if (followUps.Count > 0)
                {
                    Nudge();
                }
            }
            catch (Exception e) when (e is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
            {
                // Refused: the forge said no, or the intent cannot be carried out at all; trying again changes nothing.
                var refused = e is ForgeApiException { OutcomeUnknown: false, Status: not null } api && (int)api.Status < 500 && (int)api.Status != 429 && (int)api.Status != 408
                    || e is not (ForgeApiException or HttpRequestException or CredentialException or TaskCanceledException);
                var attempts = intent.Attempts + 1;
                DateTimeOffset? retryAt = refused || !retryLater || attempts >= MaxAttempts ? null : clock.GetUtcNow() + RetrySchedule.Delay(attempts);
                var why = $"forge {intent.Kind.Replace('_', ' ')} ({intent.Key}) attempt {attempts} of {MaxAttempts}: {e.Message}";
                await forgeStore.PostponeIntentAsync(intent.Id, e.Message, retryAt, CancellationToken.None);
                if (retryAt is null)
                {
                    LogGaveUp(why);
                    if (intent.TaskId is { } taskId)
                    {
                        await taskStore.AddHistoryNoteAsync(taskId, $"{why}; {(refused ? "the forge refused it" : "given up")}", CancellationToken.None);
                    }
                }
                else
                {
                    LogRetrying(why, retryAt.Value);
                }
            }

            return (await forgeStore.GetIntentAsync(intent.Key, CancellationToken.None))!;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>The write's result when the forge already shows it, else null.</summary>
    private async Task<string?> FindAsync(StoredIntent intent, AgentConfig agent, ForgeRepository repository, IForgeClient client, JsonElement payload, CancellationToken cancellationToken)
    {
        var repo = repository.FullName;
        switch (intent.Kind)
        {
            case ForgeIntent.Track:
                // The comment may have been created and its id lost: keep it, so this step edits it. Edits are idempotent.
                if (await forgeStore.GetForgeTaskAsync(intent.TaskId!, cancellationToken) is { TrackingCommentId: null }
                    && await FindCommentAsync(client, repo, payload, agent, TrackKey(intent), cancellationToken) is { } tracking)
                {
                    await forgeStore.SetTrackingCommentAsync(intent.TaskId!, tracking.Id, CancellationToken.None);
                }

                return null;
            case ForgeIntent.Comment:
                return await FindCommentAsync(client, repo, payload, agent, intent.Key, cancellationToken) is { } comment ? Result(new { id = comment.Id }) : null;
            case ForgeIntent.OpenPull:
                var baseBranch = await BaseBranchAsync(client, repo, payload, cancellationToken);
                return await client.FindPullAsync(repo, Payloads.Text(payload, "branch"), baseBranch, cancellationToken) is { } pull ? Result(new { number = pull.Number }) : null;
            case ForgeIntent.RequestReview:
                var requested = await client.GetPullAsync(repo, payload.GetProperty("number").GetInt64(), cancellationToken);
                return (requested.RequestedReviewers ?? []).Any(r => string.Equals(r.Login, Payloads.Text(payload, "reviewer"), StringComparison.OrdinalIgnoreCase)) ? Result(new { requested = true }) : null;
            case ForgeIntent.Review:
                var reviews = await client.ListReviewsAsync(repo, payload.GetProperty("number").GetInt64(), cancellationToken);
                return reviews.LastOrDefault(r => string.Equals(r.User?.Login, agent.ForgeUser, StringComparison.OrdinalIgnoreCase) && ForgeMarker.Marks(r.Body, intent.Key)) is { } review
                    ? Result(new { id = review.Id, @event = Payloads.Text(payload, "event") })
                    : null;
            case ForgeIntent.Merge:
                var merging = await client.GetPullAsync(repo, payload.GetProperty("number").GetInt64(), cancellationToken);
                return merging.Merged ? Result(new { merged = true, branch = merging.Head.Ref, same_repository = payload.TryGetProperty("same_repository", out var alike) && alike.GetBoolean() }) : null;
            default:
                return null;
        }
    }

    /// <summary>The write; when its answer is lost (the forge may have applied it), the forge is asked at once whether it did.</summary>
    private async Task<string> WriteOrFindAsync(StoredIntent intent, AgentConfig agent, ForgeRepository repository, IForgeClient client, JsonElement payload, CancellationToken cancellationToken)
    {
        try
        {
            return await WriteAsync(intent, repository, client, payload, cancellationToken);
        }
        catch (Exception e) when (e is ForgeApiException { OutcomeUnknown: true } or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
        {
            LogOutcomeUnknown(intent.Kind, intent.Key, e.Message);
            try
            {
                if (await FindAsync(intent, agent, repository, client, payload, cancellationToken) is { } found)
                {
                    return found;
                }

                // The tracking comment was created after all: this step's edit goes to it now.
                if (intent.Kind == ForgeIntent.Track && await forgeStore.GetForgeTaskAsync(intent.TaskId!, cancellationToken) is { TrackingCommentId: not null })
                {
                    return await WriteAsync(intent, repository, client, payload, cancellationToken);
                }
            }
            catch (Exception again) when (again is ForgeApiException or HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                // The forge cannot be asked now either; the next attempt asks it first.
            }

            throw;
        }
    }

    private async Task<string> WriteAsync(StoredIntent intent, ForgeRepository repository, IForgeClient client, JsonElement payload, CancellationToken cancellationToken)
    {
        var repo = repository.FullName;
        switch (intent.Kind)
        {
            case ForgeIntent.Track:
                var body = await TrackBodyAsync(intent, payload, cancellationToken);
                if (await forgeStore.GetForgeTaskAsync(intent.TaskId!, cancellationToken) is { TrackingCommentId: { } id })
                {
                    await client.EditCommentAsync(repo, id, body, cancellationToken);
                    return Result(new { id });
                }

                var created = await client.CreateCommentAsync(repo, payload.GetProperty("number").GetInt64(), body, cancellationToken);
                await forgeStore.SetTrackingCommentAsync(intent.TaskId!, created.Id, CancellationToken.None);
                return Result(new { id = created.Id });
            case ForgeIntent.Comment:
                var comment = await client.CreateCommentAsync(repo, payload.GetProperty("number").GetInt64(), ForgeMarker.Append(Payloads.Text(payload, "body"), intent.Key), cancellationToken);
                return Result(new { id = comment.Id });
            case ForgeIntent.OpenPull:
                var issue = await client.GetIssueAsync(repo, payload.GetProperty("issue").GetInt64(), cancellationToken);
                var baseBranch = await BaseBranchAsync(client, repo, payload, cancellationToken);
                var pull = await client.CreateOrGetPullAsync(repo, Payloads.Text(payload, "branch"), baseBranch, issue.Title, Payloads.Text(payload, "body"), cancellationToken);
                return Result(new { number = pull.Number });
            case ForgeIntent.RequestReview:
                await client.RequestReviewAsync(repo, payload.GetProperty("number").GetInt64(), Payloads.Text(payload, "reviewer"), cancellationToken);
                return Result(new { requested = true });
            case ForgeIntent.Review:
                var submission = new ReviewSubmission(Payloads.Text(payload, "event"), ForgeMarker.Append(Payloads.Text(payload, "body"), intent.Key), Payloads.Text(payload, "commit_id"),
                    [.. payload.GetProperty("comments").EnumerateArray().Select(c => new InlineComment(Payloads.Text(c, "path"), c.GetProperty("line").GetInt64(), Payloads.Text(c, "body")))]);
                var review = await client.CreateReviewAsync(repo, payload.GetProperty("number").GetInt64(), submission, cancellationToken);
                return Result(new { id = review.Id, @event = submission.Event });
            case ForgeIntent.Merge:
                var number = payload.GetProperty("number").GetInt64();
                var merged = await client.MergeAsync(repo, number, Payloads.Text(payload, "style"), Payloads.Text(payload, "sha"), deleteBranch: true, cancellationToken);
                return Result(new
                {
                    merged = merged == MergeResult.Merged, conflict = merged == MergeResult.Conflict, try_again_later = merged == MergeResult.TryAgainLater,
                    branch = Payloads.Text(payload, "branch"), same_repository = payload.TryGetProperty("same_repository", out var same) && same.GetBoolean(),
                });
            case ForgeIntent.ReviewHead:
                return Result(new { head = true });
            case ForgeIntent.DeleteBranch:
                var deleted = await client.DeleteBranchAsync(repo, Payloads.Text(payload, "branch"), cancellationToken);
                return Result(new { deleted });
            default:
                throw new ForgeApiException($"no forge write of kind \"{intent.Kind}\" in this build", System.Net.HttpStatusCode.NotImplemented);
        }
    }

    private static async Task<ForgeComment?> FindCommentAsync(IForgeClient client, string repo, JsonElement payload, AgentConfig agent, string key, CancellationToken cancellationToken) =>
        (await client.ListCommentsAsync(repo, payload.GetProperty("number").GetInt64(), cancellationToken))
            .LastOrDefault(c => string.Equals(c.User.Login, agent.ForgeUser, StringComparison.OrdinalIgnoreCase) && ForgeMarker.Marks(c.Body, key));

    private async Task<string> TrackBodyAsync(StoredIntent intent, JsonElement payload, CancellationToken cancellationToken)
    {
        var body = Payloads.Text(payload, "body");
        if (body.Contains(ForgeFlows.PullPlaceholder, StringComparison.Ordinal))
        {
            var pull = (await forgeStore.GetForgeTaskAsync(intent.TaskId!, cancellationToken))?.PullNumber;
            body = body.Replace(ForgeFlows.PullPlaceholder, pull is { } n ? $"#{n}" : "-", StringComparison.Ordinal);
        }

        return ForgeMarker.Append(body, TrackKey(intent));
    }

    private static string TrackKey(StoredIntent intent) => $"track:{intent.TaskId}";

    private static async Task<string> BaseBranchAsync(IForgeClient client, string repo, JsonElement payload, CancellationToken cancellationToken) =>
        payload.TryGetProperty("base", out var b) && b.ValueKind == JsonValueKind.String && b.GetString() is { Length: > 0 } baseBranch
            ? baseBranch
            : await client.GetDefaultBranchAsync(repo, cancellationToken);

    private static string Result(object result) => JsonSerializer.Serialize(result, Payloads.Json);

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge: the answer to {Kind} ({Key}) was lost ({Error}); asking the forge whether it happened")]
    private partial void LogOutcomeUnknown(string kind, string key, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "forge: {Kind} done ({Key}, attempt {Attempt})")]
    private partial void LogDone(string kind, string key, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "forge: {Why}; retrying at {At:O}")]
    private partial void LogRetrying(string why, DateTimeOffset at);

    [LoggerMessage(Level = LogLevel.Error, Message = "forge: {Why}; not retried")]
    private partial void LogGaveUp(string why);

    [LoggerMessage(Level = LogLevel.Error, Message = "forge outbox: {Error}")]
    private partial void LogLoopFailed(string error);
}
