using System.Globalization;
using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Security;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Api;

/// <summary>
/// The task API: submit, inspect, list, cancel, and stream a task's events. What it returns of a task's text is
/// redacted again as it leaves (rows stored before a credential was known, or rotated since, stay covered), and
/// an SSE frame carries exactly one id, event and data line whatever the event holds.
/// </summary>
internal static class TaskApi
{
    private const int ReplayPage = 500;

    public static IEndpointRouteBuilder MapTaskApi(this IEndpointRouteBuilder app)
    {
        app.MapPost("/task", SubmitAsync).WithName("SubmitTask").WithSummary("Submit a coding task; returns its id")
            .Accepts<SubmitTaskRequest>("application/json")
            .Produces<TaskAccepted>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge).ProducesProblem(StatusCodes.Status422UnprocessableEntity).ProducesProblem(StatusCodes.Status503ServiceUnavailable)
            .AddOpenApiOperationTransformer(ApiOperations.Header(IdempotencyKeys.Header,
                "Optional, 1 to 255 visible ASCII characters. The same key with the same body within 24h answers the first task again (202, Idempotent-Replayed: true) instead of queuing another; with another body, 422."));
        app.MapGet("/task/{id}", GetAsync).WithName("GetTask").WithSummary("A task's state, history and outcome")
            .Produces<TaskDetail>().ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/tasks", ListAsync).WithName("ListTasks").WithSummary("Tasks, newest first, filtered and paged")
            .Produces<TaskList>().ProducesProblem(StatusCodes.Status400BadRequest)
            .AddOpenApiOperationTransformer(ApiOperations.Query(
                ("state", "queued, running, succeeded, failed, cancelled, timed_out or interrupted"),
                ("agent", "an agent's name"),
                ("repo", "a repository URL as submitted"),
                ("limit", "1 to 500 (default 50)"),
                ("cursor", "the next of the previous page"),
                ("before", "older paging: tasks created before this timestamp (the next_before of the previous page)")));
        app.MapPost("/task/{id}/cancel", CancelAsync).WithName("CancelTask").WithSummary("Cancel a queued or running task")
            .Produces<TaskCancelled>(StatusCodes.Status202Accepted).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status409Conflict);
        app.MapPost("/task/{id}/link", LinkAsync).WithName("TaskLink").WithSummary("A signed, expiring, read-only dashboard link to the task, for people without the token")
            .Accepts<TaskLinkRequest>(isOptional: true, "application/json")
            .Produces<TaskLink>().ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status413PayloadTooLarge);
        app.MapGet("/task/{id}/events", EventsAsync).WithName("TaskEvents").WithSummary("Server-sent events: replay from the start (or Last-Event-ID), then live")
            .Produces<string>(StatusCodes.Status200OK, "text/event-stream").ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .AddOpenApiOperationTransformer(ApiOperations.Query(("follow", "false stops after the replay")))
            .AddOpenApiOperationTransformer(ApiOperations.Header("Last-Event-ID", "Resume after this event id."));
        app.MapGet("/task/{id}/transcript", TranscriptAsync).WithName("TaskTranscript").WithSummary("The task's stored events with the time each was stored, oldest first, a page at a time")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, AgentsConfig config, ITaskStore store, TaskSignals signals, IdempotencyKeys keys, CancellationToken cancellationToken)
    {
        string? key = null;
        if (context.Request.Headers.TryGetValue(IdempotencyKeys.Header, out var keyValues))
        {
            if (keyValues.Count != 1)
            {
                return Problems.Field(StatusCodes.Status400BadRequest, IdempotencyKeys.Header, "given more than once; send it once");
            }

            key = keyValues.ToString();
            if (IdempotencyKeys.Problem(key) is { } keyProblem)
            {
                return Problems.Field(StatusCodes.Status400BadRequest, IdempotencyKeys.Header, keyProblem);
            }
        }

        var limit = config.Service.MaxPromptBytes + (64 * 1024);
        var body = await RequestBody.ReadCappedAsync(context.Request.Body, limit, cancellationToken);
        if (body is null)
        {
            return Problems.Field(StatusCodes.Status413PayloadTooLarge, "prompt", $"the request body is over {limit} bytes; a prompt may be at most {config.Service.MaxPromptBytes} bytes (service.max_prompt_bytes)");
        }

        var (submission, status, errors) = TaskSubmission.Parse(body, config);
        if (submission is null)
        {
            return status == StatusCodes.Status413PayloadTooLarge ? Problems.Field(status, errors.Keys.First(), errors.Values.First()) : Problems.Fields(errors);
        }

        // A full disk refuses new work before it is stored, so nothing half-written is left; queued tasks stay queued.
        if (context.RequestServices.GetRequiredService<Hosting.DiskGuard>().Refusal() is { } full)
        {
            return Problems.Unavailable("disk", full);
        }

        if (key is null)
        {
            return Accepted(await QueueAsync(submission, store, signals, "submitted through the API"), TaskState.Queued);
        }

        var digest = IdempotencyKeys.Digest(body);
        var id = TaskIds.New();
        var holder = await keys.ClaimAsync(key, digest, id, cancellationToken);
        if (holder.TaskId != id)
        {
            if (holder.BodySha256 != digest)
            {
                return Problems.Field(StatusCodes.Status422UnprocessableEntity, IdempotencyKeys.Header,
                    $"already used for task {holder.TaskId} with a different body; send a new key for a new task (a key is kept for {Duration.Format(IdempotencyKeys.Retention)})");
            }

            if (await store.GetTaskAsync(holder.TaskId, cancellationToken) is not { } existing)
            {
                return Problems.Field(StatusCodes.Status409Conflict, IdempotencyKeys.Header, "a request with this key is still being stored; retry in a moment");
            }

            context.Response.Headers["Idempotent-Replayed"] = "true";
            return Accepted(existing.Id, existing.State);
        }

        try
        {
            return Accepted(await QueueAsync(submission, store, signals, "submitted through the API", id), TaskState.Queued);
        }
        catch
        {
            await keys.ReleaseAsync(key, id);
            throw;
        }
    }

    private static IResult Accepted(string id, TaskState state)
    {
        var url = $"/task/{id}";
        return TypedResults.Accepted(url, new TaskAccepted(id, url, $"{url}/events", state.ToName()));
    }

    /// <summary>Queues a validated submission (from the API or the dashboard's form) and wakes its agent's worker.</summary>
    internal static async Task<string> QueueAsync(TaskSubmission submission, ITaskStore store, TaskSignals signals, string reason, string? taskId = null)
    {
        var id = taskId ?? TaskIds.New();
        var now = DateTimeOffset.UtcNow;
        var task = new TaskRecord(id, submission.Agent, submission.Repo, submission.BaseRef, submission.Thread ?? $"task-{id[^8..]}", submission.Prompt,
            TaskState.Queued, 0, now, now, null, submission.Timeout, Image: submission.Image);
        await store.CreateTaskAsync(task, reason, CancellationToken.None);
        signals.Wake(task.Agent);
        return id;
    }

    private static async Task<IResult> LinkAsync(string id, HttpContext context, ITaskStore store, AgentsConfig config, Dashboard.SignedLinks links, TimeProvider clock, CancellationToken cancellationToken)
    {
        if (await store.GetTaskAsync(id, cancellationToken) is null)
        {
            return Problems.NotFound($"no task {id}");
        }

        var ttl = config.Service.LinkTtl;
        if (context.Request.ContentLength is > 0 || context.Request.Headers.TransferEncoding.Count > 0)
        {
            var body = await RequestBody.ReadCappedAsync(context.Request.Body, 4096, cancellationToken);
            if (body is null)
            {
                return Problems.Field(StatusCodes.Status413PayloadTooLarge, "body", "a link request is at most 4096 bytes: {\"ttl\":\"1h\"}");
            }

            if (LinkTtl(body, config) is { } error)
            {
                return Problems.Field(StatusCodes.Status400BadRequest, error.Field, error.Message);
            }

            ttl = ReadTtl(body) ?? ttl;
        }

        var until = clock.GetUtcNow() + ttl;
        var path = links.PathFor(Dashboard.DashboardAccess.TaskResource(id), until);
        var origin = config.Forge?.PublicUrl.ToString().TrimEnd('/') ?? $"{context.Request.Scheme}://{context.Request.Host}";
        return TypedResults.Ok(new TaskLink(id, path, origin + path, until));
    }

    /// <summary>What is wrong with a link request's body, or null: only <c>ttl</c>, a duration from 1s to 90d.</summary>
    internal static (string Field, string Message)? LinkTtl(byte[] body, AgentsConfig config)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                return ("body", "must be a JSON object such as {\"ttl\":\"1h\"}");
            }

            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.Name != "ttl")
                {
                    return (property.Name, "unknown field; a link request has only ttl");
                }

                if (property.Value.ValueKind != JsonValueKind.String || !Duration.TryParse(property.Value.GetString()!, out var ttl) || ttl < TimeSpan.FromSeconds(1) || ttl > TimeSpan.FromDays(90))
                {
                    return ("ttl", $"must be a duration from 1s to 90d such as \"1h\" (default service.link_ttl, {Duration.Format(config.Service.LinkTtl)})");
                }
            }

            return null;
        }
        catch (JsonException)
        {
            return ("body", "not valid JSON; send {\"ttl\":\"1h\"} or no body");
        }
    }

    private static TimeSpan? ReadTtl(byte[] body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.TryGetProperty("ttl", out var ttl) && Duration.TryParse(ttl.GetString()!, out var parsed) ? parsed : null;
    }

    private static async Task<IResult> GetAsync(string id, ITaskStore store, Forge.IForgeStore forgeStore, SecretRedactor redactor, BudgetLedger ledger, CancellationToken cancellationToken)
    {
        var task = await store.GetTaskAsync(id, cancellationToken);
        if (task is null)
        {
            return Problems.NotFound($"no task {id}");
        }

        var history = await store.GetHistoryAsync(id, cancellationToken);
        var writes = await forgeStore.ListIntentsAsync(id, cancellationToken);
        var metered = (await ledger.TaskSpendAsync([id], cancellationToken)).GetValueOrDefault(id);
        var hold = await ledger.HoldOfAsync(id, cancellationToken);
        return TypedResults.Ok(new TaskDetail(
            task.Id, task.Agent, task.Repo, task.BaseRef, task.Thread, task.State.ToName(), task.Attempt, task.Performer, task.NotBefore, task.BaseCommit, task.Image,
            task.CreatedAt, task.UpdatedAt, task.Timeout?.TotalSeconds, task.CancelRequested, redactor.Redact(task.Prompt).Text,
            [.. history.Select(h => new TaskTransitionView(h.At, h.From?.ToName(), h.To.ToName(), redactor.Redact(h.Reason).Text))],
            task.OutcomeJson is { } outcome ? JsonSerializer.Deserialize<JsonElement>(redactor.Redact(outcome).Text) : null,
            [.. writes.Select(w => new TaskForgeWrite(w.Key, w.Kind, w.State, w.Attempts, w.NotBefore, w.LastError is { } error ? redactor.Redact(error).Text : null))],
            $"/task/{id}/events")
        {
            CostUsd = BudgetCosts.Cost(task.OutcomeJson, metered),
            Metered = metered is null ? null : new TaskMetered(Math.Round(metered.Usd, 6), metered.Requests, metered.InputTokens, metered.OutputTokens, metered.CacheCreationTokens, metered.CacheReadTokens),
            BudgetHold = hold is null ? null : new TaskBudgetHold(redactor.Redact(hold.Reason).Text, hold.ConfigKey, hold.Until),
        });
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ITaskStore store, AgentsConfig config, BudgetLedger ledger, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var query = request.Query;
        foreach (var key in query.Keys.Where(k => k is not ("state" or "agent" or "repo" or "limit" or "cursor" or "before")))
        {
            errors[key] = "unknown query parameter; use state, agent, repo, limit, cursor or before";
        }

        TaskState? state = null;
        if (query.TryGetValue("state", out var stateText))
        {
            try
            {
                state = TaskStateNames.Parse(stateText.ToString());
            }
            catch (ArgumentException)
            {
                errors["state"] = $"\"{stateText}\" is not a state; use queued, running, succeeded, failed, cancelled, timed_out or interrupted";
            }
        }

        var agent = query.TryGetValue("agent", out var agentText) ? agentText.ToString() : null;
        if (agent is not null && config.Find(agent) is null)
        {
            errors["agent"] = $"no agent named \"{agent}\"";
        }

        var limit = 50;
        if (query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > 500))
        {
            errors["limit"] = "must be a whole number from 1 to 500";
        }

        DateTimeOffset? before = null;
        if (query.TryGetValue("before", out var beforeText))
        {
            if (DateTimeOffset.TryParse(beforeText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
            {
                before = parsed;
            }
            else
            {
                errors["before"] = "must be a timestamp such as 2026-11-23T09:00:00Z (the next_before of the previous page)";
            }
        }

        string? beforeId = null;
        if (query.TryGetValue("cursor", out var cursorText))
        {
            if (query.ContainsKey("before"))
            {
                errors["cursor"] = "give cursor or before, not both; cursor (the next of the previous page) is the one that never skips a task";
            }
            else if (cursorText.Count > 1 || !TaskCursor.TryDecode(cursorText.ToString(), out var cursorAt, out var cursorId))
            {
                errors["cursor"] = "is not a cursor this service gave out; pass the next of the previous page as it is, or leave cursor out for the first page";
            }
            else
            {
                (before, beforeId) = (cursorAt, cursorId);
            }
        }

        if (errors.Count > 0)
        {
            return Problems.Fields(errors);
        }

        var tasks = await store.ListTasksAsync(new TaskQuery(state, agent, query.TryGetValue("repo", out var repo) ? repo.ToString() : null, limit, before, beforeId), cancellationToken);
        var spend = await ledger.TaskSpendAsync([.. tasks.Select(t => t.Id)], cancellationToken);
        var full = tasks.Count == limit;
        return TypedResults.Ok(new TaskList(
            [.. tasks.Select(t => new TaskListItem(t.Id, t.Agent, t.Repo, t.Thread, t.State.ToName(), t.Attempt, t.CreatedAt, t.UpdatedAt, $"/task/{t.Id}")
            {
                CostUsd = BudgetCosts.Cost(t.OutcomeJson, spend.GetValueOrDefault(t.Id)),
            })],
            full ? TaskCursor.Encode(tasks[^1].CreatedAt, tasks[^1].Id) : null,
            full ? SqliteTaskStore.Format(tasks[^1].CreatedAt) : null));
    }

    private static async Task<IResult> CancelAsync(string id, TaskStateMachine machine, TaskSignals signals, CancellationToken cancellationToken)
    {
        var was = await machine.CancelAsync(id, "cancelled through the API", cancellationToken);
        if (was is null)
        {
            return Problems.NotFound($"no task {id}");
        }

        if (was.Value.IsFinal())
        {
            return TypedResults.Problem(
                detail: $"the task already ended ({was.Value.ToName()}); there is nothing to cancel",
                statusCode: StatusCodes.Status409Conflict,
                title: "Conflict",
                extensions: new Dictionary<string, object?> { ["task_id"] = id, ["state"] = was.Value.ToName() });
        }

        if (was == TaskState.Running)
        {
            signals.Cancel(id);
        }

        return TypedResults.Accepted($"/task/{id}", new TaskCancelled(id, was == TaskState.Running ? "cancelling" : "cancelled"));
    }

    private static async Task EventsAsync(string id, HttpContext context, ITaskStore store, TaskEventBus events, SecretRedactor redactor, CancellationToken cancellationToken)
    {
        var task = await store.GetTaskAsync(id, cancellationToken);
        if (task is null)
        {
            await Problems.Write(context, StatusCodes.Status404NotFound, "Not found", $"no task {id}", "id");
            return;
        }

        long last = 0;
        var resume = context.Request.Headers["Last-Event-ID"].ToString();
        if (resume.Length > 0 && !long.TryParse(resume, CultureInfo.InvariantCulture, out last))
        {
            await Problems.Write(context, StatusCodes.Status400BadRequest, "Invalid request", "Last-Event-ID must be the id of an event received before", "Last-Event-ID");
            return;
        }

        context.Response.ContentType = "text/event-stream";
        context.Response.Headers.CacheControl = "no-cache";
        context.Response.Headers["X-Accel-Buffering"] = "no";

        // Subscribe before replaying, so nothing published in between is missed; sequence numbers drop repeats.
        using var subscription = events.Subscribe(id);
        last = await ReplayAsync(context, store, redactor, id, last, cancellationToken);

        var follow = !string.Equals(context.Request.Query["follow"], "false", StringComparison.OrdinalIgnoreCase);
        if (follow && !(await store.GetTaskAsync(id, cancellationToken))!.State.IsFinal())
        {
            using var keepAlive = new PeriodicTimer(TimeSpan.FromSeconds(15));
            var reader = subscription.Reader;
            Task<bool>? tick = null;
            while (!cancellationToken.IsCancellationRequested)
            {
                tick ??= keepAlive.WaitForNextTickAsync(cancellationToken).AsTask();
                var next = reader.WaitToReadAsync(cancellationToken).AsTask();
                if (await Task.WhenAny(next, tick) == tick)
                {
                    tick = null;
                    await context.Response.WriteAsync(": keep-alive\n\n", cancellationToken);
                    await context.Response.Body.FlushAsync(cancellationToken);
                    if ((await store.GetTaskAsync(id, cancellationToken))!.State.IsFinal() && !reader.TryPeek(out _))
                    {
                        break;
                    }

                    continue;
                }

                if (!await next)
                {
                    break;
                }

                while (reader.TryRead(out var stored))
                {
                    if (stored.Seq > last)
                    {
                        last = await WriteAsync(context, stored, redactor, cancellationToken);
                    }
                }
            }

            // Events written after the last live one (or by another process) are still in the store.
            last = await ReplayAsync(context, store, redactor, id, last, CancellationToken.None);
        }

        var final = await store.GetTaskAsync(id, CancellationToken.None);
        await context.Response.WriteAsync($"event: end\ndata: {JsonSerializer.Serialize(new { state = final!.State.ToName() })}\n\n", CancellationToken.None);
    }

    /// <summary>Writes the stored events after <paramref name="last"/> a page at a time, so a long task is never all in memory at once.</summary>
    private static async Task<long> ReplayAsync(HttpContext context, ITaskStore store, SecretRedactor redactor, string id, long last, CancellationToken cancellationToken)
    {
        while (true)
        {
            var page = await store.GetEventsAsync(id, last, cancellationToken, ReplayPage);
            foreach (var stored in page)
            {
                last = await WriteAsync(context, stored, redactor, cancellationToken);
            }

            if (page.Count < ReplayPage)
            {
                return last;
            }
        }
    }

    private static async Task<long> WriteAsync(HttpContext context, StoredEvent stored, SecretRedactor redactor, CancellationToken cancellationToken)
    {
        await context.Response.WriteAsync(Frame(stored, redactor), cancellationToken);
        await context.Response.Body.FlushAsync(cancellationToken);
        return stored.Seq;
    }

    /// <summary>One SSE frame: an id, a plain-token event type and one data line, redacted, with no control character a reader would act on.</summary>
    internal static string Frame(StoredEvent stored, SecretRedactor redactor) =>
        $"id: {stored.Seq}\nevent: {TerminalText.EventType(redactor.Redact(stored.Type).Text)}\ndata: {TerminalText.SseData(redactor.Redact(stored.Data).Text)}\n\n";

    /// <summary>
    /// A page of the task's stored events after <c>after</c>, each with its stored time. The state is read before the
    /// events, so a reader that sees a final state and a short page has every event there will be.
    /// </summary>
    private static async Task<IResult> TranscriptAsync(string id, HttpContext context, ITaskStore store, SecretRedactor redactor, CancellationToken cancellationToken)
    {
        var task = await store.GetTaskAsync(id, cancellationToken);
        if (task is null)
        {
            return Problems.NotFound($"no task {id}");
        }

        var query = context.Request.Query;
        long after = 0;
        if (query.TryGetValue("after", out var afterText) && !long.TryParse(afterText, NumberStyles.None, CultureInfo.InvariantCulture, out after))
        {
            return Problems.Field(StatusCodes.Status400BadRequest, "after", "must be the seq of an event (0 or more); next_after of the previous page");
        }

        var limit = ReplayPage;
        if (query.TryGetValue("limit", out var limitText) && (!int.TryParse(limitText, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > ReplayPage))
        {
            return Problems.Field(StatusCodes.Status400BadRequest, "limit", $"must be a whole number from 1 to {ReplayPage}");
        }

        var page = await store.GetEventsAsync(id, after, cancellationToken, limit);
        return TypedResults.Ok(new
        {
            task_id = id,
            state = task.State.ToName(),
            events = page.Select(e => new { seq = e.Seq, at = e.At, type = redactor.Redact(e.Type).Text, data = redactor.Redact(e.Data).Text }),
            next_after = page.Count == limit ? page[^1].Seq : (long?)null,
        });
    }
}
