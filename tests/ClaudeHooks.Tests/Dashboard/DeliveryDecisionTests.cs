using ClaudeHooks.Dashboard;
using ClaudeHooks.Forge;

namespace ClaudeHooks.Tests.Dashboard;

public sealed class DeliveryDecisionTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 23, 9, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Of_QueuedATask_NamesTheTaskAndWhatFollows()
    {
        var decision = DeliveryDecision.Of(Delivery(outcome: "queued task t1 (implement for dev)", task: "t1"), t => t);

        Assert.Equal(new DeliveryDecision("queued", "(implement for dev)", "t1"), decision);
    }

    [Theory]
    [InlineData("ignored: sent by agent dev (dev-bot)")]
    [InlineData("duplicate: the same event (acme/web|implement|3) already queued a task")]
    [InlineData("refused: mallory may not ask for work on acme/web")]
    [InlineData("recorded: no flow for push/-")]
    public void Of_NoTask_SaysWhyNot(string outcome)
    {
        Assert.Equal(new DeliveryDecision("skipped", outcome, null), DeliveryDecision.Of(Delivery(outcome: outcome), t => t));
    }

    [Fact]
    public void Of_GivenUp_IsDeadWithItsReason()
    {
        var decision = DeliveryDecision.Of(Delivery(outcome: "dead: forge unreachable after 6 attempts", attempts: 6, dead: At), t => t);

        Assert.Equal(new DeliveryDecision("dead", "dead: forge unreachable after 6 attempts", null), decision);
    }

    [Fact]
    public void Of_NotProcessed_IsPendingOrRetrying()
    {
        Assert.Equal("pending", DeliveryDecision.Of(Delivery(), t => t).Kind);
        var retrying = DeliveryDecision.Of(Delivery(attempts: 2), t => t);
        Assert.Equal(("retrying", "attempt 2 failed; it is tried again"), (retrying.Kind, retrying.Text));
    }

    [Fact]
    public void Of_Outcome_IsRedacted()
    {
        var decision = DeliveryDecision.Of(Delivery(outcome: "refused: token hunter2hunter2"), t => t.Replace("hunter2hunter2", "[redacted]", StringComparison.Ordinal));

        Assert.Equal("refused: token [redacted]", decision.Text);
    }

    private static DeliveryRecord Delivery(string? outcome = null, string? task = null, int attempts = 0, DateTimeOffset? dead = null) =>
        new("d1", "issue_assign", "assigned", "acme/web", At, attempts, null, null, outcome, task, dead);
}
