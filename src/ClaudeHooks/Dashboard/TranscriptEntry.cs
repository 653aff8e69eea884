namespace ClaudeHooks.Dashboard;

/// <summary>
/// One thing a person reads in a task's transcript: a message, a tool call, its result, a runner step. One stored
/// event may give several (an assistant message with text and tool calls); their ids are then <c>SEQ.N</c>.
/// Every text in it has been redacted; <see cref="Text"/> and <see cref="Input"/> may be cut, and say so.
/// </summary>
/// <param name="Id">The event's sequence number, with <c>.N</c> (from 1) when the event gives several entries.</param>
/// <param name="Seq">The stored event's sequence number.</param>
/// <param name="At">When the event was stored.</param>
/// <param name="Kind">system, assistant, thinking, tool, result, error, denied, runner, final or other.</param>
/// <param name="Title">A short name: the tool, "gateway denied", the runner step's type.</param>
/// <param name="Text">What is shown, cut when <see cref="Truncated"/>.</param>
/// <param name="FullLength">The characters of the whole text, of which <see cref="Text"/> may show only the start.</param>
/// <param name="Truncated">Whether <see cref="Text"/> is only the start.</param>
/// <param name="Input">A tool call's input as indented JSON, cut when <see cref="InputTruncated"/>.</param>
/// <param name="InputLength">The characters of the whole input.</param>
/// <param name="InputTruncated">Whether <see cref="Input"/> is only the start.</param>
/// <param name="ToolUseId">Ties a tool result to its call.</param>
/// <param name="IsError">A tool result, assistant turn or run that failed.</param>
/// <param name="Flagged">A gateway denial, a failed tool call or run: the page makes it stand out.</param>
public sealed record TranscriptEntry(
    string Id,
    long Seq,
    DateTimeOffset At,
    string Kind,
    string Title,
    string Text,
    int FullLength,
    bool Truncated,
    string? Input,
    int InputLength,
    bool InputTruncated,
    string? ToolUseId,
    bool IsError,
    bool Flagged);
