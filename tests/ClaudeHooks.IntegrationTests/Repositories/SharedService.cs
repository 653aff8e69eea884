using System.Security.Cryptography;

namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>
/// One service for a test class: started by the first test that needs it (the Docker fixture is not there before a
/// test runs), stopped after the class's last test, together with whatever the class made for it.
/// </summary>
public sealed class SharedService : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Func<Task>> _cleanups = [];
    private RepositoryService? _service;

    /// <summary>A name part of this class's run, so its repositories, owners and images are its own.</summary>
    public string Id { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));

    /// <summary>The running service, started with <paramref name="start"/> when there is none (or it died).</summary>
    public async Task<RepositoryService> GetAsync(Func<Task<RepositoryService>> start)
    {
        await _gate.WaitAsync();
        try
        {
            if (_service is { Process.HasExited: false })
            {
                return _service;
            }

            if (_service is not null)
            {
                await _service.DisposeAsync();
            }

            _service = null;
            _service = await start();
            return _service;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Something to undo after the service stopped (an image to remove), in reverse order of registration.</summary>
    public void OnDispose(Func<Task> cleanup)
    {
        lock (_cleanups)
        {
            _cleanups.Add(cleanup);
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        for (var i = _cleanups.Count - 1; i >= 0; i--)
        {
            await _cleanups[i]();
        }

        _gate.Dispose();
    }
}
