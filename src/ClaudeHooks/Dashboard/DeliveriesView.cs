namespace ClaudeHooks.Dashboard;

/// <summary>
/// The latest webhook deliveries, newest first (only those given up when <paramref name="DeadOnly"/>), or the one
/// delivery <paramref name="Only"/> names.
/// </summary>
public sealed record DeliveriesView(IReadOnlyList<DeliveryRow> Rows, bool DeadOnly, string? Only, int Limit, bool ForgeConfigured)
{
    public const string Path = "/ui/deliveries";
}
