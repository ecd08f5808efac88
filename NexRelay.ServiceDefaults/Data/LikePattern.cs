namespace NexRelay.ServiceDefaults.Data;

/// <summary>Patterns for PostgreSQL's <c>LIKE</c>/<c>ILIKE</c> built from a caller's text, which is matched literally.</summary>
public static class LikePattern
{
    /// <summary>
    /// Matches any text containing <paramref name="text"/>: its <c>%</c>, <c>_</c> and <c>\</c> are escaped (backslash is
    /// LIKE's default escape), so a search for "50%" finds "50%" and not everything that starts with "50".
    /// </summary>
    public static string Containing(string text) =>
        "%" + text.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal) + "%";
}
