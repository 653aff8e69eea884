using ClaudeHooks.Config;

namespace ClaudeHooks.Forge;

/// <summary>
/// Who may ask an agent for work: a user the repository lists in <c>authorized_users</c>, or a collaborator with write,
/// admin or owner permission (asked of the forge). A webhook is held to it through its sender; the backstop, through
/// whoever assigned the issue or requested the review, so what the backstop finds passes the same rule as the webhook
/// it stands in for.
/// </summary>
internal static class ForgeAuthorization
{
    /// <summary>The forge is asked only when the allowlist does not already say yes.</summary>
    public static async Task<bool> MayAskAsync(string user, ForgeRepository repository, Func<IForgeClient> client, CancellationToken cancellationToken)
    {
        if (user.Length == 0)
        {
            return false;
        }

        if (repository.AuthorizedUsers.Contains(user, StringComparer.OrdinalIgnoreCase))
        {
            return true;
        }

        var permission = await client().GetPermissionAsync(repository.FullName, user, cancellationToken);
        return permission is "write" or "admin" or "owner";
    }

    public static string Refusal(string user, ForgeRepository repository) =>
        $"{user} has no write access to {repository.FullName} and is not in its authorized_users";
}
