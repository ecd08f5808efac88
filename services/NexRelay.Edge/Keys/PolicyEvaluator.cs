using NexRelay.Contracts.Keys;

namespace NexRelay.Edge.Keys;

/// <summary>The output limit to send upstream, or why the request is refused.</summary>
/// <param name="Allowed">False when the key's cap is in reject mode and the request asked for more (a 400 naming the cap).</param>
/// <param name="Limit">The explicit output limit the upstream receives: never above the key's cap or the model's maximum.</param>
/// <param name="CapApplied">True when the key's cap set the limit (the request asked for more or said nothing):
/// the edge then answers with <c>x-nexrelay-output-cap: {Cap}</c>.</param>
/// <param name="Cap">The key's cap, when it has one.</param>
/// <param name="Requested">What the request asked for, if anything.</param>
/// <param name="Error">Why the request is refused, naming the cap; null when allowed.</param>
internal readonly record struct OutputLimitDecision(bool Allowed, int Limit, bool CapApplied, int? Cap, int? Requested, string? Error);

/// <summary>Pure policy checks the edge runs before any hold or upstream call.</summary>
internal static class PolicyEvaluator
{
    /// <summary>Empty list = every model. Otherwise an exact id or a pattern where <c>*</c> matches any run of characters.</summary>
    public static bool IsModelAllowed(KeyPolicy policy, string model) => IsModelAllowed(policy.AllowedModels, model);

    public static bool IsModelAllowed(IReadOnlyList<string> allowedModels, string model)
    {
        if (allowedModels.Count == 0) return true;
        foreach (var pattern in allowedModels)
        {
            if (GlobMatches(pattern, model)) return true;
        }
        return false;
    }

    /// <summary>Ordinal match where <c>*</c> matches zero or more characters (any, including <c>/</c> and <c>.</c>).</summary>
    public static bool GlobMatches(string pattern, string text)
    {
        // Greedy match with one backtrack point: linear for the simple patterns keys use, no regex to escape or time out.
        int p = 0, t = 0, star = -1, mark = 0;
        while (t < text.Length)
        {
            if (p < pattern.Length && pattern[p] == '*')
            {
                star = p++;
                mark = t;
            }
            else if (p < pattern.Length && pattern[p] == text[t])
            {
                p++;
                t++;
            }
            else if (star >= 0)
            {
                p = star + 1;
                t = ++mark;
            }
            else return false;
        }
        while (p < pattern.Length && pattern[p] == '*') p++;
        return p == pattern.Length;
    }

    public static OutputLimitDecision DecideOutputLimit(int? requested, KeyPolicy policy, int modelMaxOutput) =>
        DecideOutputLimit(requested, policy.MaxOutputTokens, policy.OutputCapMode, modelMaxOutput);

    /// <summary>
    /// clamp: asking for more than the cap, or not saying, gets min(cap, model max). reject: asking for more than the cap is
    /// refused; not saying gets min(cap, model max). No cap: min(requested ?? model max, model max).
    /// </summary>
    public static OutputLimitDecision DecideOutputLimit(int? requested, int? keyCap, string capMode, int modelMaxOutput)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(modelMaxOutput, 1);
        if (requested is < 1)
            return new(false, 0, false, keyCap, requested, $"The requested output limit must be at least 1, not {requested}.");

        if (keyCap is not { } cap)
            return new(true, Math.Min(requested ?? modelMaxOutput, modelMaxOutput), false, null, requested, null);

        if (requested is { } asked && asked > cap && string.Equals(capMode, "reject", StringComparison.Ordinal))
            return new(false, 0, false, cap, requested,
                $"The requested output limit ({asked} tokens) exceeds this key's output cap of {cap} tokens.");

        var wanted = requested is { } r && r <= cap ? r : cap;
        var limit = Math.Min(wanted, modelMaxOutput);
        // The cap counts as applied only when it is what lowered (or set) the limit, not when the model's maximum did.
        var capApplied = (requested is null || requested > cap) && limit == cap;
        return new(true, limit, capApplied, cap, requested, null);
    }
}
