using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using ClaudeHooks.Config;
using ClaudeHooks.Containers;
using ClaudeHooks.Forge;
using ClaudeHooks.Tasks;
using ClaudeHooks.Workdir;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace ClaudeHooks.Gateway;

/// <summary>
/// The only way out of a sandbox. Each sandbox (and each agent's own container) reaches the gateway through a
/// Unix socket of its own, bound to exactly one task; the socket is the whole identity. A task of an agent that runs
/// on the host instead gets a loopback port of its own, bound the same way (which any host process can reach). The gateway holds every
/// credential: it adds the agent's model credential on the model route and its forge token on the git route
/// (reading both from their host files at each request), applies the role's push policy, and allows any other
/// destination only by the task's allowlists. Every request is logged with its decision.
/// </summary>
internal sealed partial class HostGateway : IAsyncDisposable
{
    /// <summary>Where a container's forwarder listens (loopback inside the container).</summary>
    public const int Port = 7411;

    /// <summary>Where a container sees its gateway socket folder.</summary>
    public const string ContainerDirectory = "/run/claude-hooks/gateway";

    public const string SandboxSocketName = "gateway.sock";

    /// <summary>The header the service's own git sends from an agent's container to name the task it works for.</summary>
    public const string TaskHeader = "X-Claude-Hooks-Task";

    public static readonly string LocalUrl = $"http://127.0.0.1:{Port}";

    private static readonly string[] CredentialHeaders = ["authorization", "x-api-key", "proxy-authorization", "cookie"];
    private static readonly string[] ForwardingHeaders = ["forwarded", "x-forwarded-for", "x-forwarded-host", "x-forwarded-proto", "x-real-ip", "via"];

    /// <summary>What Claude Code posts for a run (seen in its traffic): the Messages API and token counting. It also sends a HEAD of the root to check the endpoint is up.</summary>
    private static readonly string[] ModelPaths = ["/v1/messages", "/v1/messages/count_tokens"];

    private readonly AgentsConfig _config;
    private readonly ClaudeHooksPaths _paths;
    private readonly ForgeCredentials _credentials;
    private readonly TaskEventBus? _events;
    private readonly Action<EgressRecord> _record;
    private readonly TimeProvider _time;
    private readonly ILogger<HostGateway> _logger;
    private readonly SocketTransport _transport;
    private readonly HttpMessageInvoker _upstream;
    private readonly HttpMessageInvoker _proxied;
    private readonly Dictionary<string, string> _credentialProblems = new(StringComparer.Ordinal);
    private WebApplication? _app;

    public HostGateway(AgentsConfig config, ClaudeHooksPaths paths, TaskEventBus? events, Action<EgressRecord> record, TimeProvider time, ILoggerFactory loggers, ForgeCredentials? credentials = null)
    {
        _config = config;
        _paths = paths;
        _credentials = credentials ?? new ForgeCredentials(paths, null, time);
        _events = events;
        _record = record;
        _time = time;
        _logger = loggers.CreateLogger<HostGateway>();
        _transport = new SocketTransport(loggers.CreateLogger<SocketTransport>());
        Bindings = new GatewayBindings(config, Path.Combine(Root, "bindings"));
        _upstream = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = true,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectTimeout = TimeSpan.FromSeconds(15),
        });
        _proxied = new HttpMessageInvoker(new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            ConnectCallback = ConnectCheckedAsync,
        });
    }

    /// <summary>This process's name for its maintenance sockets (one per agent container), so two processes never take each other's.</summary>
    public string ProcessId { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public GatewayBindings Bindings { get; }

    /// <summary>Counts each model response's usage against the budgets and refuses a task that reached a cap; null where no budget applies (<c>run</c>, <c>audit</c>).</summary>
    public BudgetGuard? Budgets { get; set; }

    /// <summary>The host folder of every gateway socket: mode 0700, owned by the user running claude-hooks.</summary>
    public string Root => _config.GatewayRoot;

    /// <summary>The host folder bind-mounted into a sandbox.</summary>
    public static string SandboxFolder(string root, string socketId) => Path.Combine(root, "sockets", socketId);

    /// <summary>The host folder bind-mounted into an agent's own container, holding one socket per claude-hooks process.</summary>
    public static string AgentFolder(string root, string agent) => Path.Combine(root, "agents", agent);

    /// <summary>The socket of this process in an agent's container, as the container sees it.</summary>
    public string MaintenanceSocket => $"{ContainerDirectory}/{ProcessId}.sock";

    /// <summary>Checks the folder, starts serving, opens this process's socket in every agent's folder and takes back the sockets of sandboxes still running.</summary>
    public async Task StartAsync(IReadOnlyCollection<string> runningSocketIds, CancellationToken cancellationToken)
    {
        PrepareRoot(Root);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IConnectionListenerFactory>(_transport);
        builder.Services.AddHttpForwarder();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = null;
            k.Limits.MinRequestBodyDataRate = null;
            k.Listen(SocketTransport.EndPoint, listen => listen.Use(next => connection => ConnectOrHttpAsync(connection, next)));
        });
        var app = builder.Build();
        var forwarder = app.Services.GetRequiredService<IHttpForwarder>();
        app.Run(context => HandleAsync(context, forwarder));
        await app.StartAsync(cancellationToken);
        _app = app;

        foreach (var agent in _config.Agents)
        {
            var folder = AgentFolder(Root, agent.Name);
            PrepareFolder(folder);
            RemoveDeadSockets(folder);
            var id = MaintenanceId(agent.Name);
            _transport.Open(id, Path.Combine(folder, ProcessId + ".sock"), SocketMode);
            Bindings.SetOwner(id, new MaintenanceOwner(agent.Name));
        }

        // A local task's binding is never taken back (its CLI does not outlive the process that ran it, or is cut off):
        // the files of a process that died are only in the way.
        foreach (var stale in Directory.EnumerateFiles(Path.Combine(Root, "bindings"), LocalSocketPrefix + "*.json"))
        {
            File.Delete(stale);
        }

        foreach (var socketId in runningSocketIds)
        {
            if (Bindings.Restore(socketId, (taskId, agent, repository, thread) => NewBinding(taskId, agent, repository, thread)) is { } task)
            {
                _transport.Open(socketId, Path.Combine(SandboxFolder(Root, socketId), SandboxSocketName), SocketMode);
                LogRestored(socketId, task.TaskId);
            }
        }
    }

    /// <summary>Creates a new sandbox's socket folder and listens in it; the folder is what the sandbox mounts.</summary>
    public string OpenSandbox(string socketId, string agent)
    {
        var folder = SandboxFolder(Root, socketId);
        PrepareFolder(folder);
        _transport.Open(socketId, Path.Combine(folder, SandboxSocketName), SocketMode);
        Bindings.SetOwner(socketId, new SandboxOwner(agent, null));
        return folder;
    }

    /// <summary>Stops serving a sandbox's socket and removes its folder and binding.</summary>
    public void CloseSandbox(string socketId)
    {
        _transport.Close(socketId);
        Bindings.RemoveOwner(socketId);
        try
        {
            Directory.Delete(SandboxFolder(Root, socketId), recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
    }

    /// <summary>Registers a task, so its sandbox and the service's git for it may act for it.</summary>
    public TaskBinding BindTask(string taskId, AgentConfig agent, RepositoryUrl repository, string thread)
    {
        var task = NewBinding(taskId, agent, repository, thread);
        Bindings.AddTask(task);
        return task;
    }

    /// <summary>
    /// Binds a task of an agent that runs on the host (<c>container.runtime: "local"</c>) and opens a loopback port
    /// for it, bound to that task as a sandbox's socket is: the model route with the real credential added here, the
    /// task's git route and push policy, the egress proxy with its allowlist, all in the egress log. Unlike a
    /// sandbox's socket, any process of the host can connect to the port while it is open.
    /// </summary>
    public LocalListener OpenLocal(string taskId, AgentConfig agent, RepositoryUrl repository, string thread)
    {
        var task = BindTask(taskId, agent, repository, thread);
        var socketId = LocalSocketPrefix + task.TaskKey;
        try
        {
            var port = _transport.OpenLoopback(socketId);
            Bindings.SetOwner(socketId, new SandboxOwner(agent.Name, task.TaskKey));
            return new LocalListener(socketId, task.TaskKey, $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}");
        }
        catch
        {
            UnbindTask(task.TaskKey);
            throw;
        }
    }

    /// <summary>Closes a local task's port (connections still open finish on their own) and unbinds the task.</summary>
    public void CloseLocal(LocalListener listener)
    {
        _transport.Close(listener.SocketId);
        Bindings.RemoveOwner(listener.SocketId);
        UnbindTask(listener.TaskKey);
    }

    private const string LocalSocketPrefix = "local-";

    /// <summary>Gives a sandbox its task: from now on its socket speaks for that task alone.</summary>
    public void AttachSandbox(string socketId, string agent, string taskKey) => Bindings.SetOwner(socketId, new SandboxOwner(agent, taskKey));

    public void UnbindTask(string taskKey)
    {
        Bindings.RemoveTask(taskKey);
        _credentials.Forget(taskKey);
        lock (_credentialProblems)
        {
            _credentialProblems.Remove(taskKey);
        }
    }

    /// <summary>The last credential problem a task's requests met (a missing, unreadable or expired file), with its fix.</summary>
    public string? CredentialProblem(string taskKey)
    {
        lock (_credentialProblems)
        {
            return _credentialProblems.GetValueOrDefault(taskKey);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var agent in _config.Agents)
        {
            _transport.Close(MaintenanceId(agent.Name));
        }

        // Sandbox sockets are closed without removing their bindings: a sandbox still running is taken back at the next start.
        await _transport.DisposeAsync();
        if (_app is not null)
        {
            await _app.StopAsync(CancellationToken.None);
            await _app.DisposeAsync();
        }

        _upstream.Dispose();
        _proxied.Dispose();
    }

    /// <summary>
    /// Makes the gateway's folder (0700) or refuses one that another user owns or others can enter, with the
    /// command that fixes it.
    /// </summary>
    public static void PrepareRoot(string root)
    {
        if (!Directory.Exists(root))
        {
            Directory.CreateDirectory(root, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var mode = File.GetUnixFileMode(root);
        var owner = OwnerOf(root);
        var me = CurrentUid();
        if (owner is { } uid && uid != me)
        {
            throw new GatewayException($"{root}: owned by uid {uid}, not by the user running claude-hooks (uid {me}); run 'chown -R {me} {root}'");
        }

        if ((mode & (UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute)) != 0)
        {
            throw new GatewayException($"{root}: mode {Convert.ToString((int)mode, 8)} lets other users reach the gateway's sockets; run 'chmod 700 {root}'");
        }

        foreach (var sub in new[] { "sockets", "agents", "bindings" })
        {
            Directory.CreateDirectory(Path.Combine(root, sub), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Makes the gateway's folder and an agent's socket folder in it (its container mounts that folder).</summary>
    public static string PrepareAgentFolder(string root, string agent)
    {
        PrepareRoot(root);
        var folder = AgentFolder(root, agent);
        PrepareFolder(folder);
        return folder;
    }

    private const UnixFileMode SocketMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.OtherRead | UnixFileMode.OtherWrite;

    /// <summary>
    /// A socket's folder: enterable but not listable by the container's user (0711), inside the gateway's 0700
    /// folder, so on the host only the service's user reaches it and in a container only that container.
    /// </summary>
    private static void PrepareFolder(string folder)
    {
        Directory.CreateDirectory(folder);
        File.SetUnixFileMode(folder, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
    }

    private static void RemoveDeadSockets(string folder)
    {
        foreach (var file in Directory.EnumerateFiles(folder, "*.sock"))
        {
            using var probe = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                probe.Connect(new UnixDomainSocketEndPoint(file));
            }
            catch (SocketException)
            {
                File.Delete(file);
            }
        }
    }

    private static string MaintenanceId(string agent) => "agent-" + agent;

    private TaskBinding NewBinding(string taskId, AgentConfig agent, RepositoryUrl repository, string thread)
    {
        var rules = new List<EgressRule>(agent.EgressAllow);
        var configured = _config.Forge?.Repositories.FirstOrDefault(r => _config.SameRepository(r, repository));
        if (configured is not null)
        {
            rules.AddRange(configured.EgressAllow);
        }

        if (_config.RepositoryFor(repository) is { } settings)
        {
            rules.AddRange(settings.EgressAllow);
        }

        return new TaskBinding(taskId, ResourceNames.TaskKey(taskId), agent, repository, thread, GitNames.Branch(agent.Name, thread), rules) { Forge = configured };
    }

    // ---- routing -------------------------------------------------------------------------------------------------

    private async Task HandleAsync(HttpContext context, IHttpForwarder forwarder)
    {
        var started = Stopwatch.GetTimestamp();
        var caller = context.Features.Get<GatewayCaller>();
        var owner = caller is null ? null : Bindings.Owner(caller.SocketId);
        var counting = new CountingStream(context.Request.Body);
        context.Request.Body = counting;
        var response = new CountingStream(context.Response.Body);
        context.Response.Body = response;
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget ?? context.Request.Path.Value ?? "/";
        var verdict = new Verdict("other", "", EgressRecord.Denied, "unknown route");
        context.Items[VerdictItem] = verdict;
        try
        {
            verdict = owner switch
            {
                null => await DenyAsync(context, 403, "other", "", "unknown socket", "this socket is not bound to any sandbox"),
                _ when context.Request.Method == HttpMethods.Connect => await DenyAsync(context, 405, EgressRecord.ConnectRoute, "", "protocol", "CONNECT must be the first request of a connection"),
                _ when IsAbsolute(raw, out var target) && !IsSelf(target, context) => await ProxyHttpAsync(context, forwarder, owner, target),
                _ when context.Request.Path.StartsWithSegments("/git") => await GitAsync(context, forwarder, owner),
                _ when context.Request.Path.StartsWithSegments("/v1") => await ModelAsync(context, forwarder, owner),
                _ when context.Request.Method == HttpMethods.Head && context.Request.Path == "/" => await ModelAsync(context, forwarder, owner),
                _ => await DenyAsync(context, 404, "other", "", "unknown route", $"no such route; the gateway serves {SelfUrl(context)}/v1/messages (model), {SelfUrl(context)}/git/<owner>/<repo>.git (the task's repository) and, as HTTP(S)_PROXY, the hosts in the task's egress allowlist"),
            };
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or HttpRequestException or BadHttpRequestException)
        {
            // What the route had decided before the request broke off stands; the record says it broke off.
            var known = context.Items[VerdictItem] as Verdict ?? verdict;
            verdict = known with { Rule = known.Rule + $" (aborted: {e.GetType().Name})" };
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 499;
            }
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            var known = context.Items[VerdictItem] as Verdict ?? verdict;
            verdict = known with { Decision = EgressRecord.Denied, Rule = known.Rule + " (gateway error)" };
            LogGatewayError(e.GetType().Name, e.Message);
            if (!context.Response.HasStarted)
            {
                context.Response.StatusCode = 500;
            }
        }
        finally
        {
            var task = owner is null ? null : TaskOf(owner, context);
            Record(new EgressRecord(0, _time.GetUtcNow(), task?.TaskId, owner?.Agent ?? "?", verdict.Route, verdict.Host, context.Request.Method,
                PathOnly(context.Request.Path.Value ?? raw), context.Response.StatusCode, response.Count, counting.Count,
                (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, verdict.Decision, verdict.Rule), task);
        }
    }

    private TaskBinding? TaskOf(SocketOwner owner, HttpContext? context) => owner switch
    {
        SandboxOwner { TaskKey: { } key } => Bindings.Task(key),
        MaintenanceOwner maintenance when context?.Request.Headers[TaskHeader].ToString() is { Length: > 0 } key
            && Bindings.Task(key) is { } task && task.Agent.Name == maintenance.Agent => task,
        _ => null,
    };

    private async Task<Verdict> ModelAsync(HttpContext context, IHttpForwarder forwarder, SocketOwner owner)
    {
        var upstream = _config.Model.BaseUrl ?? new Uri("https://api.anthropic.com");
        if (owner is not SandboxOwner || TaskOf(owner, context) is not { } task)
        {
            return await DenyAsync(context, 403, EgressRecord.ModelRoute, upstream.Authority, "no task", "only a sandbox given a task may use the model route");
        }

        var path = context.Request.Path.Value ?? "";
        var reachability = context.Request.Method == HttpMethods.Head && path == "/";
        if (!reachability && (!ModelPaths.Contains(path, StringComparer.Ordinal) || context.Request.Method != HttpMethods.Post))
        {
            return await DenyAsync(context, 403, EgressRecord.ModelRoute, upstream.Authority, "model paths",
                $"{context.Request.Method} {path} is not a path Claude Code needs for a run; the model route allows POST {string.Join(", POST ", ModelPaths)}", task);
        }

        (string Header, string Value) credential;
        try
        {
            credential = ModelCredential.Read(task.Agent, _time);
        }
        catch (CredentialException e)
        {
            NoteCredentialProblem(task, e.Message);
            context.Response.StatusCode = 401;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Json(new { type = "error", error = new { type = "authentication_error", message = $"claude-hooks gateway: {e.Message}" } }));
            return new Verdict(EgressRecord.ModelRoute, upstream.Authority, EgressRecord.Denied, "credential unavailable");
        }

        Note(context, new Verdict(EgressRecord.ModelRoute, upstream.Authority, EgressRecord.Denied, "model request: the body was not read to its end"));
        if (!reachability && await ModelRequestProblemAsync(context) is { } problem)
        {
            return await DenyAsync(context, problem.Status, EgressRecord.ModelRoute, upstream.Authority, "model request", problem.Message, task);
        }

        if (reachability || Budgets is null || path != ModelPaths[0])
        {
            var forwarded = Note(context, new Verdict(EgressRecord.ModelRoute, upstream.Authority, EgressRecord.Allowed, "model route"));
            await ForwardAsync(context, forwarder, _upstream, upstream.ToString(), new CredentialTransformer(credential.Header, credential.Value, null));
            return forwarded;
        }

        // Spend is known only once a response ends, so a task's responses in flight are what a cap can be passed by:
        // a few at a time, and each waits for its turn before the cap is checked against what the others cost.
        var slots = _modelSlots.GetValue(task, _ => new SemaphoreSlim(MaxModelRequestsPerTask));
        try
        {
            await slots.WaitAsync(context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return new Verdict(EgressRecord.ModelRoute, upstream.Authority, EgressRecord.Denied, "model request: the sandbox closed it while it waited its turn");
        }

        try
        {
            return await MeteredModelAsync(context, forwarder, task, upstream, path, credential, Budgets);
        }
        finally
        {
            slots.Release();
        }
    }

    /// <summary>How many model requests of one task pass the gateway at once while budgets are kept; the rest wait their turn.</summary>
    public const int MaxModelRequestsPerTask = 4;

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<TaskBinding, SemaphoreSlim> _modelSlots = [];

    private async Task<Verdict> MeteredModelAsync(HttpContext context, IHttpForwarder forwarder, TaskBinding task, Uri upstream, string path, (string Header, string Value) credential, BudgetGuard budgets)
    {
        if (await budgets.RefusalAsync(task.TaskId, task.Agent.Name, task.Repository.Url, CancellationToken.None) is { } refusal)
        {
            await DeniedEventAsync(task, EgressRecord.ModelRoute, upstream.Authority, context.Request.Method, path, refusal);
            context.Response.StatusCode = 403;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Json(new { type = "error", error = new { type = "permission_error", message = $"claude-hooks gateway: {refusal}" } }));
            return new Verdict(EgressRecord.ModelRoute, upstream.Authority, EgressRecord.Denied, "budget");
        }

        var allowed = Note(context, new Verdict(EgressRecord.ModelRoute, upstream.Authority, EgressRecord.Allowed, "model route"));

        // The usage is read as the response passes, so it must arrive as sent: no compressed encoding is asked for.
        context.Request.Headers.Remove("Accept-Encoding");
        var body = context.Response.Body;
        await using var meter = new UsageMeterStream(body, () => context.Response.ContentType?.Contains("event-stream", StringComparison.OrdinalIgnoreCase) == true);
        context.Response.Body = meter;
        try
        {
            await ForwardAsync(context, forwarder, _upstream, upstream.ToString(), new CredentialTransformer(credential.Header, credential.Value, null));
        }
        finally
        {
            context.Response.Body = body;
            try
            {
                // A response that ends before its usage arrives (the sandbox hung up, say) is charged its worst case.
                var usage = context.Response.StatusCode is >= 200 and < 300
                    ? meter.Charge(context.Items[ModelRequestFacts.ItemKey] as ModelRequestFacts)
                    : meter.Usage;
                await budgets.MeterAsync(task.TaskId, task.Agent.Name, task.Repository.Url, usage, CancellationToken.None);
            }
            catch (Exception e) when (e is InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
            {
                LogEventFailed(task.TaskId, e.Message);
            }
        }

        return allowed;
    }

    /// <summary>The largest Messages API request the model route reads (to inspect it) before forwarding: the API's own limit.</summary>
    public const int MaxModelRequestBytes = 32 * 1024 * 1024;

    /// <summary>What all model requests being inspected may hold at once; past it a request waits its turn with a 503.</summary>
    public const long ModelBufferBudget = 256L * 1024 * 1024;

    private static readonly TimeSpan ModelBodyDeadline = TimeSpan.FromSeconds(60);
    private long _modelBuffered;

    /// <summary>
    /// Reads the request body (then replays it) and refuses what would make the model's servers reach out, or read
    /// what the key can read, on the agent's behalf: MCP servers, server-side tools (web search and fetch, code
    /// execution, containers) and content fetched by URL or taken from the Files API. Those are ways out that no
    /// allowlist here would see. The body is read once, within a deadline and a budget shared by all requests.
    /// </summary>
    private async Task<(int Status, string Message)?> ModelRequestProblemAsync(HttpContext context)
    {
        if (context.Request.Headers["anthropic-beta"].ToString().Contains("mcp-client", StringComparison.OrdinalIgnoreCase))
        {
            return (403, "the mcp-client beta lets the model's servers connect anywhere; claude-hooks does not forward it");
        }

        var body = new MemoryStream();
        var buffer = new byte[81920];
        long held = 0;
        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
            deadline.CancelAfter(ModelBodyDeadline);
            int read;
            while ((read = await ReadAsync(context.Request.Body, buffer, deadline, context.RequestAborted)) > 0)
            {
                if (body.Length + read > MaxModelRequestBytes)
                {
                    return (413, $"the request is larger than {MaxModelRequestBytes / 1048576} MiB");
                }

                if (Interlocked.Add(ref _modelBuffered, read) > ModelBufferBudget)
                {
                    Interlocked.Add(ref _modelBuffered, -read);
                    return (503, "the gateway holds as many model requests as it may at once; retry shortly");
                }

                held += read;
                body.Write(buffer, 0, read);
            }

            var bytes = body.GetBuffer().AsMemory(0, (int)body.Length);
            context.Request.Body = new PrefixedStream(bytes, Stream.Null);
            if (Budgets is not null)
            {
                // Only spend that is kept needs the request's worst case; without budgets the body is read once.
                context.Items[ModelRequestFacts.ItemKey] = ModelRequestFacts.Read(bytes.Span);
            }
            return body.Length == 0 ? null : ModelRequestInspection.Problem(bytes.Span) is { } problem ? (403, problem) : null;
        }
        catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
        {
            return (408, $"the request body did not arrive within {ModelBodyDeadline.TotalSeconds:0}s");
        }
        finally
        {
            Interlocked.Add(ref _modelBuffered, -held);
        }
    }

    private static async Task<int> ReadAsync(Stream body, byte[] buffer, CancellationTokenSource deadline, CancellationToken aborted)
    {
        try
        {
            return await body.ReadAsync(buffer, deadline.Token);
        }
        catch (OperationCanceledException) when (!aborted.IsCancellationRequested)
        {
            throw new OperationCanceledException(deadline.Token);
        }
    }

    private async Task<Verdict> GitAsync(HttpContext context, IHttpForwarder forwarder, SocketOwner owner)
    {
        var task = TaskOf(owner, context);
        var host = task?.Repository.CredentialHost ?? "";
        if (task is null)
        {
            return await DenyAsync(context, 403, EgressRecord.GitRoute, host, "no task", owner is MaintenanceOwner
                ? $"the service's git must name a running task of agent {owner.Agent} in {TaskHeader}"
                : "this sandbox has no task yet");
        }

        var value = context.Request.Path.Value ?? "";
        var path = value.Length > "/git/".Length ? value["/git/".Length..] : "";
        var repositoryPath = string.Join('/', [.. task.Repository.Owner, task.Repository.Name]);
        var rest = path.StartsWith(repositoryPath + ".git/", StringComparison.Ordinal) ? path[(repositoryPath.Length + 5)..]
            : path.StartsWith(repositoryPath + "/", StringComparison.Ordinal) ? path[(repositoryPath.Length + 1)..]
            : null;
        if (rest is null)
        {
            return await DenyAsync(context, 403, EgressRecord.GitRoute, host, "task repository",
                $"claude-hooks policy: this task may reach only its own repository, {SelfUrl(context)}/git/{repositoryPath}.git", task);
        }

        var service = context.Request.Query["service"].ToString();
        var smartHttp = (rest, context.Request.Method) switch
        {
            ("info/refs", "GET") when service is "git-upload-pack" or "git-receive-pack" => true,
            ("git-upload-pack", "POST") or ("git-receive-pack", "POST") => true,
            _ => false,
        };
        if (!smartHttp)
        {
            return await DenyAsync(context, 403, EgressRecord.GitRoute, host, "smart http", $"{context.Request.Method} {rest} is not a smart-HTTP git request", task);
        }

        if (!task.Repository.Url.StartsWith("http://", StringComparison.Ordinal) && !task.Repository.Url.StartsWith("https://", StringComparison.Ordinal))
        {
            return await DenyAsync(context, 502, EgressRecord.GitRoute, host, "remote scheme", $"{task.Repository.Url} is not an http(s) remote; the gateway reaches repositories over http(s) only");
        }

        ForgeCredential credential;
        try
        {
            // Each task has its own scope, so a minted token is the task's own.
            credential = await _credentials.GetAsync(task.Agent, task.Forge, task.TaskKey, context.RequestAborted);
        }
        catch (Exception e) when (e is CredentialException or ForgeApiException)
        {
            NoteCredentialProblem(task, e.Message);
            return await DenyAsync(context, 502, EgressRecord.GitRoute, host, "credential unavailable", $"claude-hooks gateway: {e.Message}", task);
        }

        if (rest == "git-receive-pack")
        {
            if (context.Request.Headers.ContentEncoding.Count > 0)
            {
                return await DenyAsync(context, 415, EgressRecord.GitRoute, host, "push policy", "claude-hooks policy: a compressed push cannot be inspected; push without Content-Encoding", task);
            }

            Note(context, new Verdict(EgressRecord.GitRoute, host, EgressRecord.Denied, "push policy: the push was not read to its end"));
            var commands = await ReceivePack.ReadCommandsAsync(context.Request.Body, context.RequestAborted);
            var refusals = commands.Malformed is { } bad
                ? new Dictionary<string, string> { [""] = $"claude-hooks policy: {bad}" }
                : commands.Capabilities.Contains("push-options")
                    ? new Dictionary<string, string> { [""] = "claude-hooks policy: push options (git push -o) are not accepted; push without them" }
                    : PushPolicy.Refusals(task.Agent, task.Branch, commands.Updates);
            if (refusals.Count > 0)
            {
                var message = string.Join('\n', refusals.Values.Distinct());
                await context.Request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-git-receive-pack-result";
                context.Response.Headers.CacheControl = "no-cache";
                await context.Response.Body.WriteAsync(ReceivePack.Refusal(commands, refusals, message), context.RequestAborted);
                var refs = string.Join(", ", commands.Updates.Select(u => u.Ref));
                await DeniedEventAsync(task, EgressRecord.GitRoute, host, "POST", $"push of {refs}", message);
                return new Verdict(EgressRecord.GitRoute, host, EgressRecord.Denied, $"push policy: {Shorten(message)}");
            }

            context.Request.Body = new PrefixedStream(commands.Prefix, context.Request.Body);
        }

        var allowed = Note(context, new Verdict(EgressRecord.GitRoute, host, EgressRecord.Allowed, rest == "git-receive-pack" ? $"push of {task.Branch}" : "task repository"));
        var basic = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{credential.GitUser}:{credential.Token}"));
        var target = task.Repository.Url.TrimEnd('/') + "/" + rest;
        await ForwardAsync(context, forwarder, _upstream, target, new CredentialTransformer("authorization", "Basic " + basic, target));
        return allowed;
    }

    private async Task<Verdict> ProxyHttpAsync(HttpContext context, IHttpForwarder forwarder, SocketOwner owner, Uri target)
    {
        var host = target.IsDefaultPort ? target.Host : target.Authority;
        if (owner is not SandboxOwner || TaskOf(owner, context) is not { } task)
        {
            return await DenyAsync(context, 403, EgressRecord.HttpRoute, host, "no task", "only a sandbox given a task may use the proxy");
        }

        if (target.Scheme != "http")
        {
            return await DenyAsync(context, 400, EgressRecord.HttpRoute, host, "protocol", "https goes through CONNECT (set HTTPS_PROXY), never as a plain proxy request", task);
        }

        var decision = EgressPolicy.Decide(task.Allow, target.IdnHost, target.Port, task.AllowKey);
        if (!decision.Allowed)
        {
            return await DenyJsonAsync(context, EgressRecord.HttpRoute, target.IdnHost, target.Port, decision, task);
        }

        var rule = task.Allow.First(r => r.Text == decision.Rule);
        var allowed = Note(context, new Verdict(EgressRecord.HttpRoute, host, EgressRecord.Allowed, decision.Rule));
        await ForwardAsync(context, forwarder, _proxied, $"http://{target.Authority}", new ProxyTransformer(target, rule));
        return allowed;
    }

    private static async Task ForwardAsync(HttpContext context, IHttpForwarder forwarder, HttpMessageInvoker client, string destination, HttpTransformer transformer)
    {
        var error = await forwarder.SendAsync(context, destination, client, new ForwarderRequestConfig { ActivityTimeout = TimeSpan.FromMinutes(10) }, transformer);
        if (error != ForwarderError.None && !context.Response.HasStarted)
        {
            context.Response.StatusCode = 502;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Json(new { error = "claude-hooks gateway: the upstream could not be reached", detail = error.ToString() }));
        }
    }

    /// <summary>How long a connection may take to send its first bytes, and a CONNECT its request head.</summary>
    private static readonly TimeSpan HeadTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Where a route notes what it decided as soon as it knows, so a request that breaks off is still recorded truly.</summary>
    private const string VerdictItem = "claude-hooks.verdict";

    private static Verdict Note(HttpContext context, Verdict verdict)
    {
        context.Items[VerdictItem] = verdict;
        return verdict;
    }

    private async Task<Verdict> DenyAsync(HttpContext context, int status, string route, string host, string rule, string message, TaskBinding? task = null)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(Json(new { error = "denied by the claude-hooks gateway", rule, message }));
        if (task is not null)
        {
            await DeniedEventAsync(task, route, host, context.Request.Method, PathOnly(context.Request.Path.Value ?? ""), message);
        }

        return new Verdict(route, host, EgressRecord.Denied, rule);
    }

    private async Task<Verdict> DenyJsonAsync(HttpContext context, string route, string host, int port, EgressDecision decision, TaskBinding task)
    {
        context.Response.StatusCode = 403;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(DenialBody(host, port, decision));
        await DeniedEventAsync(task, route, host, context.Request.Method, PathOnly(context.Request.Path.Value ?? ""), decision.Message ?? decision.Rule);
        return new Verdict(route, $"{host}:{port.ToString(CultureInfo.InvariantCulture)}", EgressRecord.Denied, LoggedRule(decision, task));
    }

    /// <summary>
    /// A default deny as the egress log records it: with the keys that would allow the destination (the agent's
    /// allowlist, and the task's repositories entry when one applies), so the log alone says what to change.
    /// </summary>
    private string LoggedRule(EgressDecision decision, TaskBinding task) => _config.RepositoryFor(task.Repository) is { } settings
        ? $"{decision.Rule} (allow it in {decision.ConfigKey} or {settings.KeyPath("egress_allow")})"
        : $"{decision.Rule} (allow it in {decision.ConfigKey})";

    /// <summary>The gateway's JSON answers, readable as written (an agent shows them to its operator).</summary>
    private static readonly JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static string Json<T>(T value) => JsonSerializer.Serialize(value, Readable);

    private static string DenialBody(string host, int port, EgressDecision decision) =>
        Json(new { error = "egress denied by the claude-hooks gateway", host, port, rule = decision.Rule, config_key = decision.ConfigKey, message = decision.Message });

    private async Task DeniedEventAsync(TaskBinding task, string route, string host, string method, string path, string message)
    {
        if (_events is null)
        {
            return;
        }

        try
        {
            await _events.PublishAsync(task.TaskId, "gateway/denied", Json(new { route, host, method, path, message }), CancellationToken.None);
        }
        catch (Exception e) when (e is InvalidOperationException or Microsoft.Data.Sqlite.SqliteException)
        {
            LogEventFailed(task.TaskId, e.Message);
        }
    }

    private void NoteCredentialProblem(TaskBinding task, string message)
    {
        lock (_credentialProblems)
        {
            _credentialProblems[task.TaskKey] = message;
        }

        LogCredentialProblem(task.TaskId, task.Agent.Name, message);
    }

    private void Record(EgressRecord record, TaskBinding? task)
    {
        try
        {
            _record(record);
        }
        catch (Exception e) when (e is InvalidOperationException or ObjectDisposedException)
        {
            LogRecordFailed(e.Message);
        }

        if (record.Decision == EgressRecord.Denied)
        {
            LogDenied(task?.TaskId ?? "-", record.Agent, record.Route, record.Method, record.Host, record.Path, record.Rule);
        }
    }

    private static bool IsAbsolute(string raw, out Uri target)
    {
        target = null!;
        return (raw.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || raw.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
            && Uri.TryCreate(raw, UriKind.Absolute, out target!);
    }

    /// <summary>A proxy request aimed at the gateway itself (a client that proxies everything) is served as a direct one.</summary>
    private static bool IsSelf(Uri target, HttpContext context) =>
        (target.Port == Port || target.Port == context.Connection.LocalPort) && (target.Host is "127.0.0.1" or "localhost" or "[::1]");

    /// <summary>The gateway as the caller reaches it: a sandbox's forwarder, or a local task's loopback port.</summary>
    private static string SelfUrl(HttpContext context) =>
        context.Connection.LocalPort > 0 ? $"http://127.0.0.1:{context.Connection.LocalPort.ToString(CultureInfo.InvariantCulture)}" : LocalUrl;

    private static string PathOnly(string path)
    {
        var cut = path.IndexOf('?', StringComparison.Ordinal);
        return cut < 0 ? path : path[..cut];
    }

    private static string Shorten(string text) => text.Length <= 200 ? text : text[..200] + "…";

    // ---- CONNECT -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Kestrel has no CONNECT tunnels, so the first bytes of each connection are looked at here: a CONNECT is decided
    /// and, when allowed, relayed as bytes (no TLS is intercepted); anything else goes on to HTTP.
    /// </summary>
    private async Task ConnectOrHttpAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var input = connection.Transport.Input;
        bool isConnect;
        using (var first = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            // A connection that never sends its first bytes is dropped, as Kestrel drops one that never sends headers.
            first.CancelAfter(HeadTimeout);
            try
            {
                var read = await input.ReadAtLeastAsync(8, first.Token);
                isConnect = read.Buffer.Length >= 8 && Encoding.ASCII.GetString(read.Buffer.Slice(0, 8)) == "CONNECT ";
                input.AdvanceTo(read.Buffer.Start);
            }
            catch (OperationCanceledException)
            {
                connection.Abort();
                return;
            }
        }

        if (!isConnect)
        {
            await next(connection);
            return;
        }

        await TunnelAsync(connection);
    }

    private async Task TunnelAsync(ConnectionContext connection)
    {
        var started = Stopwatch.GetTimestamp();
        var input = connection.Transport.Input;
        var output = connection.Transport.Output;
        var caller = connection.Features.Get<GatewayCaller>();
        var owner = caller is null ? null : Bindings.Owner(caller.SocketId);
        var task = owner is SandboxOwner ? TaskOf(owner, null) : null;
        (string Head, bool Complete) request;
        using (var headRead = CancellationTokenSource.CreateLinkedTokenSource(connection.ConnectionClosed))
        {
            headRead.CancelAfter(HeadTimeout);
            try
            {
                request = await ReadHeadAsync(input, headRead.Token);
            }
            catch (OperationCanceledException)
            {
                connection.Abort();
                return;
            }
        }

        var (head, ok) = request;
        var target = ok ? head.Split("\r\n")[0].Split(' ') : [];
        string host = "";
        var port = 0;
        if (target.Length == 3 && target[2].StartsWith("HTTP/1.", StringComparison.Ordinal) && Uri.TryCreate("tcp://" + target[1], UriKind.Absolute, out var authority) && authority.Port > 0)
        {
            host = authority.IdnHost.Trim('[', ']');
            port = authority.Port;
        }

        long up = 0, down = 0;
        var status = 403;
        var decision = new EgressDecision(false, "no task", "", "only a sandbox given a task may open tunnels");
        try
        {
            if (host.Length == 0)
            {
                decision = new EgressDecision(false, "protocol", "", "CONNECT needs host:port");
                status = 400;
                await WriteRawAsync(output, 400, Json(new { error = decision.Message }));
                return;
            }

            if (task is null)
            {
                await WriteRawAsync(output, 403, DenialBody(host, port, decision));
                return;
            }

            decision = EgressPolicy.Decide(task.Allow, host, port, task.AllowKey);
            if (!decision.Allowed)
            {
                await WriteRawAsync(output, 403, DenialBody(host, port, decision));
                await DeniedEventAsync(task, EgressRecord.ConnectRoute, $"{host}:{port}", "CONNECT", "", decision.Message ?? decision.Rule);
                decision = decision with { Rule = LoggedRule(decision, task) };
                return;
            }

            var rule = task.Allow.First(r => r.Text == decision.Rule);
            using var upstream = await ConnectAsync(host, port, rule, connection.ConnectionClosed);
            if (upstream is null)
            {
                status = 502;
                decision = decision with { Allowed = false, Rule = decision.Rule + " (unreachable or a private address)" };
                await WriteRawAsync(output, 502, Json(new { error = $"{host}:{port} could not be reached, or resolves only to addresses a name rule may not reach" }));
                return;
            }

            status = 200;
            await output.WriteAsync("HTTP/1.1 200 Connection Established\r\n\r\n"u8.ToArray(), connection.ConnectionClosed);
            await using var network = new NetworkStream(upstream, ownsSocket: false);
            var fromClient = new CountingStream(input.AsStream(leaveOpen: true));
            var toClient = new CountingStream(output.AsStream(leaveOpen: true));
            var a = fromClient.CopyToAsync(network, connection.ConnectionClosed).ContinueWith(_ => ShutdownQuietly(upstream), TaskScheduler.Default);
            var b = network.CopyToAsync(toClient, connection.ConnectionClosed);
            // The destination closing ends the tunnel; the client closing its side is passed on and the answer awaited.
            if (await Task.WhenAny(a, b) == b)
            {
                await output.CompleteAsync();
            }

            await Task.WhenAny(Task.WhenAll(a, b), Task.Delay(Timeout.Infinite, connection.ConnectionClosed));
            up = fromClient.Count;
            down = toClient.Count;
        }
        catch (Exception e) when (e is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
        }
        finally
        {
            Record(new EgressRecord(0, _time.GetUtcNow(), task?.TaskId, owner?.Agent ?? "?", EgressRecord.ConnectRoute, host.Length == 0 ? "" : $"{host}:{port}", "CONNECT", "",
                status, down, up, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, decision.Allowed ? EgressRecord.Allowed : EgressRecord.Denied, decision.Rule), task);
        }
    }

    private static void ShutdownQuietly(Socket socket)
    {
        try
        {
            socket.Shutdown(SocketShutdown.Send);
        }
        catch (Exception e) when (e is ObjectDisposedException or SocketException)
        {
        }
    }

    private static async Task<(string Head, bool Complete)> ReadHeadAsync(System.IO.Pipelines.PipeReader input, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            var text = Encoding.Latin1.GetString(buffer.Slice(0, Math.Min(buffer.Length, 16 * 1024)));
            var end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                input.AdvanceTo(buffer.GetPosition(end + 4));
                return (text[..end], true);
            }

            if (result.IsCompleted || buffer.Length >= 16 * 1024)
            {
                input.AdvanceTo(buffer.End);
                return (text, false);
            }

            input.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private static async Task WriteRawAsync(System.IO.Pipelines.PipeWriter output, int status, string json)
    {
        var body = Encoding.UTF8.GetBytes(json);
        var reason = status switch { 400 => "Bad Request", 403 => "Forbidden", _ => "Bad Gateway" };
        var head = Encoding.ASCII.GetBytes($"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n");
        await output.WriteAsync(head);
        await output.WriteAsync(body);
        await output.CompleteAsync();
    }

    /// <summary>Connects to an allowed destination, refusing addresses its rule may not reach.</summary>
    private static async Task<Socket?> ConnectAsync(string host, int port, EgressRule rule, CancellationToken cancellationToken)
    {
        IPAddress[] addresses;
        try
        {
            addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
        }
        catch (SocketException)
        {
            return null;
        }

        foreach (var address in addresses.Where(a => EgressPolicy.MayReach(rule, a)))
        {
            var socket = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                timeout.CancelAfter(TimeSpan.FromSeconds(10));
                await socket.ConnectAsync(address, port, timeout.Token);
                return socket;
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException)
            {
                socket.Dispose();
            }
        }

        return null;
    }

    private static async ValueTask<Stream> ConnectCheckedAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var rule = context.InitialRequestMessage.Options.TryGetValue(ProxyTransformer.RuleOption, out var r) ? r : null;
        var socket = rule is null ? null : await ConnectAsync(context.DnsEndPoint.Host, context.DnsEndPoint.Port, rule, cancellationToken);
        return socket is null
            ? throw new HttpRequestException($"{context.DnsEndPoint.Host}:{context.DnsEndPoint.Port} could not be reached, or resolves only to addresses a name rule may not reach")
            : new NetworkStream(socket, ownsSocket: true);
    }

    private static int CurrentUid() => (int)geteuid();

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    private static extern uint geteuid();

    private static int? OwnerOf(string path)
    {
        try
        {
            using var stat = Process.Start(new ProcessStartInfo("stat", ["-c", "%u", path]) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = stat.StandardOutput.ReadToEnd().Trim();
            stat.WaitForExit();
            return int.TryParse(text, CultureInfo.InvariantCulture, out var uid) ? uid : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "gateway denied task {TaskId} (agent {Agent}): {Route} {Method} {Host}{Path} ({Rule})")]
    private partial void LogDenied(string taskId, string agent, string route, string method, string host, string path, string rule);

    [LoggerMessage(Level = LogLevel.Error, Message = "gateway: a request failed inside the gateway ({Kind}: {Error})")]
    private partial void LogGatewayError(string kind, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "gateway: task {TaskId} of agent {Agent}: {Problem}")]
    private partial void LogCredentialProblem(string taskId, string agent, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "gateway: the egress record could not be kept ({Error})")]
    private partial void LogRecordFailed(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "gateway: the denial event of task {TaskId} could not be stored ({Error})")]
    private partial void LogEventFailed(string taskId, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "gateway: socket {SocketId} of running task {TaskId} served again")]
    private partial void LogRestored(string socketId, string taskId);

    private sealed record Verdict(string Route, string Host, string Decision, string Rule);

    /// <summary>Drops every credential the sandbox sent and adds the agent's real one; everything else passes as sent.</summary>
    private sealed class CredentialTransformer(string header, string value, string? target) : HttpTransformer
    {
        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            foreach (var name in CredentialHeaders.Concat(ForwardingHeaders))
            {
                proxyRequest.Headers.Remove(name);
            }

            // The destination's own name, never the sandbox's: it is also the TLS name the client checks.
            proxyRequest.Headers.Host = null;
            proxyRequest.Headers.Remove(TaskHeader);
            proxyRequest.Headers.TryAddWithoutValidation(header, value);
            if (target is not null)
            {
                proxyRequest.RequestUri = new Uri(target + httpContext.Request.QueryString.Value);
            }
        }
    }

    /// <summary>A plain-HTTP proxy request: sent to the URL the client named, without its proxy headers or credentials for the proxy.</summary>
    private sealed class ProxyTransformer(Uri target, EgressRule rule) : HttpTransformer
    {
        public static readonly HttpRequestOptionsKey<EgressRule> RuleOption = new("claude-hooks.rule");

        public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
        {
            await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
            proxyRequest.Headers.Remove("proxy-authorization");
            proxyRequest.Headers.Remove("proxy-connection");
            proxyRequest.Headers.Host = null;
            proxyRequest.RequestUri = target;
            proxyRequest.Options.Set(RuleOption, rule);
        }
    }
}

internal sealed class GatewayException(string message) : Exception(message);
