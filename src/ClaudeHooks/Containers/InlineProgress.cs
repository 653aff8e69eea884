namespace ClaudeHooks.Containers;

/// <summary>
/// Reports on the caller's thread as each report is made, unlike <see cref="Progress{T}"/>, which posts to the thread
/// pool: lines stay in the order the engine sent them, and every one has been seen when the operation returns.
/// </summary>
internal sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
