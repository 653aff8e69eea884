namespace ClaudeHooks.Forge.GitHub;

/// <summary>A collaborator's permission: <c>permission</c> (admin, write, read, none) and the finer <c>role_name</c>.</summary>
internal sealed record GitHubPermission(string Permission, string? RoleName);
