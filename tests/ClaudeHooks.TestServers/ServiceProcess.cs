using System.Diagnostics;
using System.Net.Http.Headers;

namespace ClaudeHooks.TestServers;

/// <summary>A real <c>claude-hooks serve</c> process on a loopback port, for tests that kill, stop and restart it.</summary>
public sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringWriterWithLock _log = new();

    private ServiceProcess(Process process, Uri baseUrl, string home)
    {
        _process = process;
        BaseUrl = baseUrl;
        Client = new HttpClient { BaseAddress = baseUrl, Timeout = TimeSpan.FromSeconds(60) };
        Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", File.ReadAllText(Path.Combine(home, "api-token")).Trim());
    }

    public Uri BaseUrl { get; }

    /// <summary>Authorised with the service's API token.</summary>
    public HttpClient Client { get; }

    public string Log => _log.ToString();

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the service from the test's output folder and waits until it answers.</summary>
    public static async Task<ServiceProcess> StartAsync(string configFile, string home, string dataDirectory, int port)
    {
        var executable = Path.Combine(AppContext.BaseDirectory, "claude-hooks.dll");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { executable, "serve", "--config", configFile, "--data-dir", dataDirectory, "--urls", $"http://127.0.0.1:{port}" })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["CLAUDE_HOOKS_HOME"] = home;
        var process = Process.Start(start)!;
        var log = new StringWriterWithLock();
        process.OutputDataReceived += (_, e) => log.WriteLine(e.Data);
        process.ErrorDataReceived += (_, e) => log.WriteLine(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        var baseUrl = new Uri($"http://127.0.0.1:{port}/");
        using var probe = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"claude-hooks serve exited with {process.ExitCode}:\n{log}");
            }

            try
            {
                using var response = await probe.GetAsync(new Uri(baseUrl, "api/health"));
                if (File.Exists(Path.Combine(home, "api-token")))
                {
                    var service = new ServiceProcess(process, baseUrl, home);
                    service._log.Append(log.ToString());
                    process.OutputDataReceived += (_, e) => service._log.WriteLine(e.Data);
                    process.ErrorDataReceived += (_, e) => service._log.WriteLine(e.Data);
                    return service;
                }
            }
            catch (HttpRequestException)
            {
            }

            await Task.Delay(200);
        }

        process.Kill(entireProcessTree: true);
        throw new TimeoutException($"claude-hooks serve did not answer within 60 s:\n{log}");
    }

    public static int FreePort() => ScriptedModelServer.FreePort();

    /// <summary>SIGKILL to the service and every process it started, as <c>kill -9</c> of its unit would: no drain, no cleanup, leases left behind.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd sends it: the service drains.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }

    private sealed class StringWriterWithLock
    {
        private readonly System.Text.StringBuilder _text = new();

        public void WriteLine(string? line)
        {
            lock (_text)
            {
                _text.AppendLine(line);
            }
        }

        public void Append(string text)
        {
            lock (_text)
            {
                _text.Append(text);
            }
        }

        public override string ToString()
        {
            lock (_text)
            {
                return _text.ToString();
            }
        }
    }
}
