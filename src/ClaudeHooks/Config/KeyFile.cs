using System.Security.Cryptography;
using System.Text;

namespace ClaudeHooks.Config;

/// <summary>A random key the service keeps under its home, made (0600) on first use; a second process racing to make it uses the first one's.</summary>
internal static class KeyFile
{
    public static byte[] LoadOrCreate(ClaudeHooksPaths paths, string file, string what)
    {
        if (!File.Exists(file))
        {
            OwnerOnly.CreateDirectory(paths.Home);
            try
            {
                using var stream = new FileStream(file, new FileStreamOptions
                {
                    Mode = FileMode.CreateNew,
                    Access = FileAccess.Write,
                    UnixCreateMode = OwnerOnly.FileMode,
                });
                stream.Write(Encoding.UTF8.GetBytes(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32)) + "\n"));
            }
            catch (IOException) when (File.Exists(file))
            {
                // Another process made it first.
            }
        }

        return Encoding.UTF8.GetBytes(Containers.AgentCredentials.ReadSecretFile(file, what));
    }
}
