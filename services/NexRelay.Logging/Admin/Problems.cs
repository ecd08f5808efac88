namespace NexRelay.Logging.Admin;

/// <summary>Stable ProblemDetails <c>type</c> values of the logging API.</summary>
internal static class Problems
{
    public const string Unauthorized = "https://nexrelay.dev/problems/unauthorized";
    public const string InvalidParameter = "https://nexrelay.dev/problems/invalid-parameter";
    public const string NotFound = "https://nexrelay.dev/problems/not-found";
}
