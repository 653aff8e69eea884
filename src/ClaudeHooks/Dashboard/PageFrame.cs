namespace ClaudeHooks.Dashboard;

/// <summary>
/// What every page's frame needs: whether an operator is signed in (else a signed link's reader sees the page
/// alone, read-only), whether the service drains, the anti-forgery token for forms, and which section is open.
/// </summary>
public sealed record PageFrame(bool Operator, bool Draining, string Csrf, string Section);
