namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// Knobs in the base URL: <c>/knobs/fail-status=503;cut-after=3/v1/chat/completions</c> acts like the <c>x-sim-*</c> headers
/// of the same names. A gateway forwards no test headers upstream, so this is how a catalog entry pointed at
/// <c>http://simulated-provider/knobs/…/v1/</c> gets a failing, slow or cut-short upstream of its own.
/// The knobs are kept in <see cref="HttpContext.Items"/>, not turned into headers, so that a real header and a prompt
/// directive can still outrank them (see <see cref="KnobSources"/>).
/// </summary>
internal static class KnobPath
{
    private const string Prefix = "/knobs/";
    private static readonly object ItemKey = new();

    public static Task RewriteAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value;
        if (path is not null && path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var end = path.IndexOf('/', Prefix.Length);
            var spec = end < 0 ? path[Prefix.Length..] : path[Prefix.Length..end];
            context.Items[ItemKey] = Parse(spec, ';');
            context.Request.Path = end < 0 ? "/" : path[end..];
        }
        return next(context);
    }

    /// <summary>The knobs the request's path gave, or null.</summary>
    public static IReadOnlyDictionary<string, string>? Get(HttpContext context) =>
        context.Items.TryGetValue(ItemKey, out var knobs) ? knobs as IReadOnlyDictionary<string, string> : null;

    /// <summary>
    /// <c>name=value</c> and bare <c>flag</c> items split by <paramref name="separator"/>: names case-insensitive, a flag
    /// reads <c>true</c>, a later item overrides an earlier one. Shared by the path and prompt directives.
    /// </summary>
    public static Dictionary<string, string> Parse(ReadOnlySpan<char> spec, char separator, Dictionary<string, string>? into = null)
    {
        var knobs = into ?? new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var range in spec.Split(separator))
        {
            var item = spec[range].Trim();
            if (item.IsEmpty) continue;
            var eq = item.IndexOf('=');
            var name = (eq < 0 ? item : item[..eq]).Trim();
            if (name.IsEmpty) continue;
            knobs[name.ToString()] = eq < 0 ? "true" : item[(eq + 1)..].Trim().ToString();
        }
        return knobs;
    }
}
