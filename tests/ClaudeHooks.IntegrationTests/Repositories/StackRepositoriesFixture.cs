namespace ClaudeHooks.IntegrationTests.Repositories;

/// <summary>The stack tests' service and the npm registry their Node repositories install from.</summary>
public sealed class StackRepositoriesFixture : IAsyncLifetime
{
    public SharedService Service { get; } = new();

    public FakeNpmRegistry Registry { get; private set; } = null!;

    public async Task InitializeAsync() => Registry = await FakeNpmRegistry.StartAsync();

    public async Task DisposeAsync()
    {
        await Service.DisposeAsync();
        await Registry.DisposeAsync();
    }
}
