namespace NexRelay.Console.Sessions;

/// <summary>Where to go after signing in: a path of this site only, since the value arrives in the query string.</summary>
public static class ReturnUrl
{
    public static string Safe(string? url) =>
        url is { Length: > 0 } && url[0] == '/' && !url.StartsWith("//", StringComparison.Ordinal) && !url.StartsWith("/\\", StringComparison.Ordinal)
            && !url.Any(char.IsControl) ? url : "/";
}
