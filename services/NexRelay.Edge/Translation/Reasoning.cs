namespace NexRelay.Edge.Translation;

/// <summary>
/// Maps OpenAI's reasoning effort to a thinking budget (Anthropic <c>thinking.budget_tokens</c>, Gemini
/// <c>thinkingConfig.thinkingBudget</c>) and back. The table is a judgement call: Anthropic's minimum budget is 1024.
/// </summary>
internal static class Reasoning
{
    public static int? EffortToBudget(string? effort) => effort?.ToLowerInvariant() switch
    {
        null => null,
        "none" => 0,
        "minimal" => 1024,
        "low" => 2048,
        "medium" => 8192,
        "high" => 24576,
        "xhigh" => 32768,
        _ => 8192,
    };

    /// <summary>Null for "no reasoning wanted" (budget 0) so an OpenAI upstream gets no <c>reasoning_effort</c>.</summary>
    public static string? BudgetToEffort(int budget) => budget switch
    {
        0 => null,
        < 0 => "medium", // Gemini -1: dynamic
        <= 2048 => "low",
        <= 8192 => "medium",
        _ => "high",
    };

    public static string? Effort(ReasoningConfig? r) =>
        r is null ? null : r.Effort ?? (r.BudgetTokens is { } b ? BudgetToEffort(b) : null);

    /// <summary>A concrete budget; Gemini's -1 ("dynamic") reads as a medium budget for upstreams that need a number.</summary>
    public static int? Budget(ReasoningConfig? r) => r switch
    {
        null => null,
        { BudgetTokens: < 0 } => EffortToBudget("medium"),
        _ => r.BudgetTokens ?? EffortToBudget(r.Effort),
    };
}
