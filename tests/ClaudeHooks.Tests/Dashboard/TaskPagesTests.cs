using ClaudeHooks.Api;
using ClaudeHooks.Config;
using ClaudeHooks.Dashboard;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class TaskPagesTests : IDisposable
{
    private readonly TempDirectory _home = new();

    public void Dispose() => _home.Dispose();

    [Fact]
    public void ParseFilter_EveryFilter_IsCarriedOver()
    {
        var (filter, before, errors) = TaskPages.ParseFilter(Query("?state=timed_out&agent=dev&repo=acme&q=fix+it&before=2026-11-23T09:00:00Z"), Config());

        Assert.Empty(errors);
        Assert.Equal(new TaskFilter("timed_out", "dev", "acme", "fix it"), filter);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 9, 0, 0, TimeSpan.Zero), before);
    }

    [Fact]
    public void ParseFilter_BadValues_AreNamedByFieldAndNotApplied()
    {
        var (filter, before, errors) = TaskPages.ParseFilter(Query("?state=done&agent=nobody&before=yesterday"), Config());

        Assert.Equal(new TaskFilter(null, null, null, null), filter);
        Assert.Null(before);
        Assert.Contains("\"done\" is not a state; use one of queued, running", errors["state"], StringComparison.Ordinal);
        Assert.Contains("no agent named \"nobody\"; use one of dev", errors["agent"], StringComparison.Ordinal);
        Assert.Contains("must be a timestamp", errors["before"], StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("50%", "50\\%")]
    [InlineData("a_b", "a\\_b")]
    [InlineData("c:\\x", "c:\\\\x")]
    [InlineData("plain", "plain")]
    public void Like_WildcardsStandForThemselves(string text, string expected) =>
        Assert.Equal(expected, TaskListReader.Like(text));

    [Fact]
    public void Outcome_ReadsTheFiguresThePageShows()
    {
        var outcome = TaskDetailReader.Outcome("""
            {"status":"succeeded","reason":"done","turns":3,"cost_usd":0.0123,"duration_ms":4567,"branch":"dev/t",
             "usage_json":"{\"input_tokens\":10,\"output_tokens\":20,\"cache_read_input_tokens\":5}",
             "pushed_commits":[{"sha":"abc","subject":"Add x"}],"session_id":"s1","resumed":true,"final_text":"ok"}
            """)!;

        Assert.Equal(("succeeded", "done", 3, 0.0123m, 4567L, "dev/t"), (outcome.Status, outcome.Reason, outcome.Turns, outcome.CostUsd, outcome.DurationMs, outcome.Branch));
        Assert.Equal((10L, 20L, 5L), (outcome.InputTokens!.Value, outcome.OutputTokens!.Value, outcome.CacheReadTokens!.Value));
        Assert.Equal([new CommitRow("abc", "Add x")], outcome.Commits);
        Assert.True(outcome.Resumed);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("[1,2]")]
    public void Outcome_NotAnObject_IsNothing(string json) => Assert.Null(TaskDetailReader.Outcome(json));

    [Fact]
    public void Outcome_FieldsOfAnotherType_AreLeftOut()
    {
        var outcome = TaskDetailReader.Outcome("""{"status":1,"turns":"x","cost_usd":"free","usage_json":"{bad","pushed_commits":{}}""")!;

        Assert.Equal(("", 0, (decimal?)null, (long?)null), (outcome.Status, outcome.Turns, outcome.CostUsd, outcome.InputTokens));
        Assert.Empty(outcome.Commits);
    }

    [Theory]
    [InlineData("""{"ttl":"2s"}""", null, null)]
    [InlineData("""{"ttl":"90d"}""", null, null)]
    [InlineData("""{"ttl":"0s"}""", "ttl", "from 1s to 90d")]
    [InlineData("""{"ttl":"91d"}""", "ttl", "from 1s to 90d")]
    [InlineData("""{"ttl":3600}""", "ttl", "from 1s to 90d")]
    [InlineData("""{"until":"tomorrow"}""", "until", "unknown field; a link request has only ttl")]
    [InlineData("[]", "body", "must be a JSON object")]
    [InlineData("{", "body", "not valid JSON")]
    public void LinkTtl_OnlyAShortEnoughDuration(string body, string? field, string? message)
    {
        var error = TaskApi.LinkTtl(System.Text.Encoding.UTF8.GetBytes(body), Config());

        Assert.Equal(field, error?.Field);
        if (message is not null)
        {
            Assert.Contains(message, error!.Value.Message, StringComparison.Ordinal);
        }
    }

    private static IQueryCollection Query(string text) => new QueryCollection(QueryHelpers.ParseQuery(text));

    private AgentsConfig Config() => ConfigLoader.Parse("/etc/agents.json", """{ "agents": { "dev": { "role": "dev", "forge_user": "d" } } }""", new ClaudeHooksPaths(_home.Path));
}
