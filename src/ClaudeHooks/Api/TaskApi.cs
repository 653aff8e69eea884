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
        app.MapPost("/task", SubmitAsync).WithName("SubmitTask").WithSummary("Submit a coding task; returns its id");
        app.MapGet("/task/{id}", GetAsync).WithName("GetTask").WithSummary("A task's state, history and outcome");
        app.MapGet("/tasks", ListAsync).WithName("ListTasks").WithSummary("Tasks, newest first, filtered and paged");
        app.MapPost("/task/{id}/cancel", CancelAsync).WithName("CancelTask").WithSummary("Cancel a queued or running task");
        app.MapPost("/task/{id}/link", LinkAsync).WithName("TaskLink").WithSummary("A signed, expiring, read-only dashboard link to the task, for people without the token");
        app.MapGet("/task/{id}/events", EventsAsync).WithName("TaskEvents").WithSummary("Server-sent events: replay from the start (or Last-Event-ID), then live");
        app.MapGet("/task/{id}/transcript", TranscriptAsync).WithName("TaskTranscript").WithSummary("The task's stored events with the time each was stored, oldest first, a page at a time");
        return app;
    }

    private static async Task<IResult> SubmitAsync(HttpContext context, AgentsConfig config, ITaskStore store, TaskSignals signals, CancellationToken cancellationToken)
    {
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

        var id = await QueueAsync(submission, store, signals, "submitted through the API");
        var url = $"/task/{id}";
        return TypedResults.Accepted(url, new { task_id = id, status_url = url, events_url = $"{url}/events", state = "queued" });
    }

    /// <summary>Queues a validated submission (from the API or the dashboard's form) and wakes its agent's worker.</summary>
    internal static async Task<string> QueueAsync(TaskSubmission submission, ITaskStore store, TaskSignals signals, string reason)
    {
        var id = TaskIds.New();
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
        return TypedResults.Ok(new { task_id = id, path, url = origin + path, expires_at = until });
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

    private static async Task<IResult> GetAsync(string id, ITaskStore store, Forge.IForgeStore forgeStore, SecretRedactor redactor, CancellationToken cancellationToken)
    {
        var task = await store.GetTaskAsync(id, cancellationToken);
        if (task is null)
        {
            return Problems.NotFound($"no task {id}");
        }

        var history = await store.GetHistoryAsync(id, cancellationToken);
        var writes = await forgeStore.ListIntentsAsync(id, cancellationToken);
        return TypedResults.Ok(new
        {
            id = task.Id,
            agent = task.Agent,
            repo = task.Repo,
            base_ref = task.BaseRef,
            thread = task.Thread,
            state = task.State.ToName(),
            attempt = task.Attempt,
            performer = task.Performer,
            not_before = task.NotBefore,
            base_commit = task.BaseCommit,
            image = task.Image,
            created_at = task.CreatedAt,
            updated_at = task.UpdatedAt,
            timeout_seconds = task.Timeout?.TotalSeconds,
            cancel_requested = task.CancelRequested,
            prompt = redactor.Redact(task.Prompt).Text,
            history = history.Select(h => new { at = h.At, from = h.From?.ToName(), to = h.To.ToName(), reason = redactor.Redact(h.Reason).Text }),
            outcome = task.OutcomeJson is { } outcome ? JsonSerializer.Deserialize<JsonElement>(redactor.Redact(outcome).Text) : (JsonElement?)null,
            forge_writes = writes.Select(w => new { key = w.Key, kind = w.Kind, state = w.State, attempts = w.Attempts, not_before = w.NotBefore, last_error = w.LastError is { } error ? redactor.Redact(error).Text : null }),
            events_url = $"/task/{id}/events",
        });
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ITaskStore store, AgentsConfig config, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string>(StringComparer.Ordinal);
        var query = request.Query;
        foreach (var key in query.Keys.Where(k => k is not ("state" or "agent" or "repo" or "limit" or "before")))
        {
            errors[key] = "unknown query parameter; use state, agent, repo, limit or before";
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

        if (errors.Count > 0)
        {
            return Problems.Fields(errors);
        }

        var tasks = await store.ListTasksAsync(new TaskQuery(state, agent, query.TryGetValue("repo", out var repo) ? repo.ToString() : null, limit, before), cancellationToken);
        return TypedResults.Ok(new
        {
            tasks = tasks.Select(t => new
            {
                id = t.Id, agent = t.Agent, repo = t.Repo, thread = t.Thread, state = t.State.ToName(), attempt = t.Attempt,
                created_at = t.CreatedAt, updated_at = t.UpdatedAt, status_url = $"/task/{t.Id}",
            }),
            next_before = tasks.Count == limit ? SqliteTaskStore.Format(tasks[^1].CreatedAt) : null,
        });
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
            return TypedResults.Conflict(new { task_id = id, state = was.Value.ToName(), detail = $"the task already ended ({was.Value.ToName()})" });
        }

        if (was == TaskState.Running)
        {
            signals.Cancel(id);
        }

        return TypedResults.Accepted($"/task/{id}", new { task_id = id, state = was == TaskState.Running ? "cancelling" : "cancelled" });
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
