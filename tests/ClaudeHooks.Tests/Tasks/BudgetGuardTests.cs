using ClaudeHooks.Config;
using ClaudeHooks.Tasks;

namespace ClaudeHooks.Tests.Tasks;

public sealed class BudgetGuardTests
{
    [Fact]
    public void Reached_SpendUnderTheCap_IsNull()
    {
        Assert.Null(BudgetGuard.Reached("agent dev", 4.99m, new BudgetCap(5m, "budgets.per_agent_per_day_usd")));
        Assert.Null(BudgetGuard.Reached("agent dev", 1_000m, null));
    }

    [Fact]
    public void Reached_SpendAtOrOverTheCap_NamesTheSpendTheCapAndItsKey()
    {
        var cap = new BudgetCap(5m, "budgets.per_agent_per_day_usd");

        Assert.Equal("agent dev spent $5.02 of its $5.00 daily cap (budgets.per_agent_per_day_usd)", BudgetGuard.Reached("agent dev", 5.02m, cap));
        Assert.Equal("agent dev spent $5.00 of its $5.00 daily cap (budgets.per_agent_per_day_usd)", BudgetGuard.Reached("agent dev", 5m, cap));
    }

    [Fact]
    public void Usd_RoundsUp_SoSpendNeverReadsAsUnderTheCap()
    {
        Assert.Equal("$5.01", BudgetGuard.Usd(5.0001m));
        Assert.Equal("$0.00", BudgetGuard.Usd(0m));
    }

    [Fact]
    public void Cost_PricesEachFamily_CacheWritesAndReads_AndAnUnknownModelAsOpus()
    {
        Assert.Equal(15m, BudgetPrices.Cost(new BudgetUsage("claude-sonnet-4-5-20250929", 0, 1_000_000, 0, 0)));
        Assert.Equal((3m + 3.75m + 0.3m) / 20, BudgetPrices.Cost(new BudgetUsage("claude-sonnet-4-5", 50_000, 0, 50_000, 50_000)));
        Assert.Equal(75m, BudgetPrices.Cost(new BudgetUsage("claude-opus-4-1", 0, 1_000_000, 0, 0)));
        Assert.Equal(5m, BudgetPrices.Cost(new BudgetUsage("claude-haiku-4-5", 0, 1_000_000, 0, 0)));
        Assert.Equal(75m, BudgetPrices.Cost(new BudgetUsage("some-new-model", 0, 1_000_000, 0, 0)));
        Assert.Equal(75m, BudgetPrices.Cost(new BudgetUsage(null, 0, 1_000_000, 0, 0)));
    }

    [Fact]
    public void Cost_OneHourCacheWrites_CostTwiceInput_FiveMinuteOnesAQuarterMore()
    {
        var usage = new BudgetUsage("claude-opus-4-1", 0, 0, 100_000, 0) { CacheCreationOneHourTokens = 40_000 };

        Assert.Equal(((60_000 * 15m * 1.25m) + (40_000 * 15m * 2m)) / 1_000_000m, BudgetPrices.Cost(usage));
    }

    [Fact]
    public void Cost_SonnetAboveTwoHundredThousandInputTokens_IsTheLongContextPrice()
    {
        Assert.Equal((3m * 0.2m) + (15m * 0.01m), BudgetPrices.Cost(new BudgetUsage("claude-sonnet-4-5", 200_000, 10_000, 0, 0)));
        Assert.Equal(0.900006m + 0.036m + 0.225m, BudgetPrices.Cost(new BudgetUsage("claude-sonnet-4-5", 150_001, 10_000, 0, 60_000)));
    }

    [Fact]
    public void NextDay_IsTheNextMidnightUtc_WhateverTheOffset()
    {
        Assert.Equal(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero), BudgetLedger.NextDay(new DateTimeOffset(2026, 12, 2, 23, 59, 59, TimeSpan.Zero)));
        Assert.Equal(new DateTimeOffset(2026, 12, 3, 0, 0, 0, TimeSpan.Zero), BudgetLedger.NextDay(new DateTimeOffset(2026, 12, 3, 0, 30, 0, TimeSpan.FromHours(2))));
        Assert.Equal("2026-12-02", BudgetLedger.Day(new DateTimeOffset(2026, 12, 3, 0, 30, 0, TimeSpan.FromHours(2))));
    }
}
