using System.Buffers.Text;
using System.Globalization;
using System.Text;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Api;

/// <summary>
/// The opaque <c>cursor</c> of <c>GET /tasks</c>: the (created_at, id) of the last task of a page, so the next page
/// starts right after it even when many tasks share a creation time and new ones keep arriving.
/// </summary>
internal static class TaskCursor
{
    public static string Encode(DateTimeOffset createdAt, string id) =>
        Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"{SqliteTaskStore.Format(createdAt)}|{id}"));

    public static bool TryDecode(string text, out DateTimeOffset createdAt, out string id)
    {
        createdAt = default;
        id = "";
        if (text.Length is 0 or > 256 || !Base64Url.IsValid(text))
        {
            return false;
        }

        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, true).GetString(Base64Url.DecodeFromChars(text));
        }
        catch (Exception e) when (e is FormatException or DecoderFallbackException)
        {
            return false;
        }

        var parts = decoded.Split('|');
        if (parts.Length != 2 || parts[1].Length == 0 || parts[1].Any(char.IsControl)
            || !DateTimeOffset.TryParseExact(parts[0], "yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out createdAt))
        {
            return false;
        }

        id = parts[1];
        return true;
    }
}
