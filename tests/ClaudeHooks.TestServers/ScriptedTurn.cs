using System.Text.Json;

namespace ClaudeHooks.TestServers;

/// <summary>One scripted answer of the model to a conversation request.</summary>
public abstract record ScriptedTurn
{
    public static ScriptedTurn Text(string text) => new TextTurn(text);

    public static ScriptedTurn ToolUse(string name, object input) => new ToolUseTurn(name, JsonSerializer.Serialize(input));

    public static ScriptedTurn Bash(string command) => new ToolUseTurn("Bash", JsonSerializer.Serialize(new { command, description = "scripted" }));

    public static ScriptedTurn Write(string path, string content) => new ToolUseTurn("Write", JsonSerializer.Serialize(new { file_path = path, content }));

    /// <summary>An HTTP error such as 401 authentication_error, 429 rate_limit_error or 529 overloaded_error.</summary>
    public static ScriptedTurn Error(int status, string type, string message) => new ErrorTurn(status, type, message);

    /// <summary>Starts the stream, then sends nothing for <paramref name="duration"/> (or until the client goes away).</summary>
    public static ScriptedTurn Stall(TimeSpan duration) => new StallTurn(duration);

    /// <summary><paramref name="turn"/>, reporting <paramref name="outputTokens"/> output tokens in its usage (a run that costs a lot).</summary>
    public static ScriptedTurn Costly(ScriptedTurn turn, long outputTokens) => new CostlyTurn(turn, outputTokens);
}

public sealed record TextTurn(string Value) : ScriptedTurn;

public sealed record ToolUseTurn(string Name, string InputJson) : ScriptedTurn;

public sealed record ErrorTurn(int Status, string Type, string Message) : ScriptedTurn;

public sealed record StallTurn(TimeSpan Duration) : ScriptedTurn;
