namespace ClaudeHooks.Forge;

/// <summary>Stands in for <see cref="ForgeMetricsHandler"/> where no metrics are kept (tests, one-shot verbs).</summary>
internal sealed class PassThroughHandler : DelegatingHandler;
