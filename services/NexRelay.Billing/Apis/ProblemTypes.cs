namespace NexRelay.Billing.Apis;

/// <summary>Stable ProblemDetails <c>type</c> values of billing's admin and internal APIs.</summary>
internal static class ProblemTypes
{
    public const string InvalidRequest = "https://nexrelay.dev/problems/invalid-request";
    public const string NotFound = "https://nexrelay.dev/problems/not-found";
    public const string Conflict = "https://nexrelay.dev/problems/conflict";
    public const string Unauthorized = "https://nexrelay.dev/problems/unauthorized";
}
