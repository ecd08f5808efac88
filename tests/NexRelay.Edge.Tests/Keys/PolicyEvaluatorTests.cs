using NexRelay.Contracts.Keys;
using NexRelay.Edge.Keys;

namespace NexRelay.Edge.Tests.Keys;

public sealed class PolicyEvaluatorTests
{
    [Theory]
    [InlineData("gpt-4o", "gpt-4o", true)]
    [InlineData("gpt-4o", "gpt-4o-mini", false)]
    [InlineData("gpt-4o", "GPT-4o", false)]
    [InlineData("gpt-*", "gpt-4o", true)]
    [InlineData("gpt-*", "gpt-", true)]
    [InlineData("gpt-*", "gpt", false)]
    [InlineData("gpt-*", "xgpt-4o", false)]
    [InlineData("*", "anything/at:all", true)]
    [InlineData("*", "", true)]
    [InlineData("*-mini", "gpt-4o-mini", true)]
    [InlineData("*-mini", "gpt-4o-mini-2", false)]
    [InlineData("claude-*-4*", "claude-sonnet-4-5", true)]
    [InlineData("claude-*-4*", "claude-sonnet-3-5", false)]
    [InlineData("a*b*c", "abc", true)]
    [InlineData("a*b*c", "aXbYc", true)]
    [InlineData("a*b*c", "aXbYcZ", false)]
    [InlineData("a*b*c", "acb", false)]
    [InlineData("a**c", "abc", true)]
    [InlineData("*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false)]
    [InlineData("gemini-2.5-*", "gemini-2.5-flash", true)]
    [InlineData("gemini-2.5-*", "gemini-205-flash", false)]
    public void Glob_matches_with_star_as_any_run_of_characters(string pattern, string model, bool expected) =>
        Assert.Equal(expected, PolicyEvaluator.GlobMatches(pattern, model));

    [Fact]
    public void An_empty_allow_list_allows_every_model()
    {
        Assert.True(PolicyEvaluator.IsModelAllowed(new KeyPolicy(), "gpt-4o"));
        Assert.True(PolicyEvaluator.IsModelAllowed(new KeyPolicy { AllowedModels = [] }, "anything"));
    }

    [Theory]
    [InlineData("gpt-4o-mini", true)]
    [InlineData("claude-sonnet-4-5", true)]
    [InlineData("claude-", true)]
    [InlineData("gpt-4o", false)]
    [InlineData("gemini-2.5-flash", false)]
    [InlineData("", false)]
    public void A_model_is_allowed_when_any_entry_matches_exactly_or_by_pattern(string model, bool expected) =>
        Assert.Equal(expected, PolicyEvaluator.IsModelAllowed(new KeyPolicy { AllowedModels = ["gpt-4o-mini", "claude-*"] }, model));

    // requested, cap, mode, model max → allowed, limit, capApplied
    [Theory]
    // No cap: the request's own limit, bounded by the model, or the model's maximum when unsaid.
    [InlineData(null, null, "clamp", 4096, true, 4096, false)]
    [InlineData(100, null, "clamp", 4096, true, 100, false)]
    [InlineData(9000, null, "clamp", 4096, true, 4096, false)]
    [InlineData(9000, null, "reject", 4096, true, 4096, false)]
    // Clamp: asking for more or not saying gets the cap.
    [InlineData(null, 256, "clamp", 4096, true, 256, true)]
    [InlineData(1000, 256, "clamp", 4096, true, 256, true)]
    [InlineData(257, 256, "clamp", 4096, true, 256, true)]
    [InlineData(256, 256, "clamp", 4096, true, 256, false)]
    [InlineData(100, 256, "clamp", 4096, true, 100, false)]
    [InlineData(1, 256, "clamp", 4096, true, 1, false)]
    // The model's maximum is below the cap: the model's maximum wins and the cap is not what limited the request.
    [InlineData(null, 8000, "clamp", 4096, true, 4096, false)]
    [InlineData(9000, 8000, "clamp", 4096, true, 4096, false)]
    [InlineData(5000, 8000, "clamp", 4096, true, 4096, false)]
    [InlineData(null, 4096, "clamp", 4096, true, 4096, true)]
    // Reject: asking for more is refused; asking for less or equal passes; not saying gets the cap.
    [InlineData(1000, 256, "reject", 4096, false, 0, false)]
    [InlineData(257, 256, "reject", 4096, false, 0, false)]
    [InlineData(256, 256, "reject", 4096, true, 256, false)]
    [InlineData(10, 256, "reject", 4096, true, 10, false)]
    [InlineData(null, 256, "reject", 4096, true, 256, true)]
    [InlineData(null, 8000, "reject", 4096, true, 4096, false)]
    [InlineData(5000, 8000, "reject", 4096, true, 4096, false)]
    // Nonsense requests are refused rather than sent upstream.
    [InlineData(0, 256, "clamp", 4096, false, 0, false)]
    [InlineData(-5, null, "clamp", 4096, false, 0, false)]
    public void Output_limit_follows_the_cap_mode_and_the_model_maximum(
        int? requested, int? cap, string mode, int modelMax, bool allowed, int limit, bool capApplied)
    {
        var decision = PolicyEvaluator.DecideOutputLimit(requested, cap, mode, modelMax);
        Assert.Equal(allowed, decision.Allowed);
        Assert.Equal(limit, decision.Limit);
        Assert.Equal(capApplied, decision.CapApplied);
        Assert.Equal(cap, decision.Cap);
        Assert.Equal(requested, decision.Requested);
        Assert.Equal(allowed, decision.Error is null);
        if (allowed)
        {
            Assert.InRange(decision.Limit, 1, modelMax);
            if (cap is { } c) Assert.True(decision.Limit <= c);
        }
    }

    [Fact]
    public void A_rejection_names_the_cap_and_the_request()
    {
        var decision = PolicyEvaluator.DecideOutputLimit(1000, new KeyPolicy { MaxOutputTokens = 256, OutputCapMode = "reject" }, 4096);
        Assert.False(decision.Allowed);
        Assert.Contains("256", decision.Error);
        Assert.Contains("1000", decision.Error);
        Assert.Contains("cap", decision.Error);
    }

    [Fact]
    public void The_policy_overload_uses_the_keys_cap_and_mode()
    {
        var clamp = PolicyEvaluator.DecideOutputLimit(1000, new KeyPolicy { MaxOutputTokens = 256 }, 4096);
        Assert.True(clamp is { Allowed: true, Limit: 256, CapApplied: true });
        var none = PolicyEvaluator.DecideOutputLimit(1000, new KeyPolicy(), 4096);
        Assert.True(none is { Allowed: true, Limit: 1000, CapApplied: false });
    }

    [Fact]
    public void A_model_maximum_below_one_is_a_programming_error() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PolicyEvaluator.DecideOutputLimit(10, null, "clamp", 0));
}
