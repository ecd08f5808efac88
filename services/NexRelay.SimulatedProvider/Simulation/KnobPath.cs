namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// Knobs in the base URL: <c>/knobs/fail-status=503;cut-after=3/v1/chat/completions</c> acts like the <c>x-sim-*</c> headers
/// of the same names. A gateway forwards no test headers upstream, so this is how a catalog entry pointed at
/// <c>http://simulated-provider/knobs/…/v1/</c> gets a failing, slow or cut-short upstream of its own.
/// </summary>
internal static class KnobPath
{
    private const string Prefix = "/knobs/";

    public static Task RewriteAsync(HttpContext context, RequestDelegate next)
    {
        var path = context.Request.Path.Value;
        if (path is not null && path.StartsWith(Prefix, StringComparison.Ordinal))
        {
            var end = path.IndexOf('/', Prefix.Length);
            var spec = end < 0 ? path[Prefix.Length..] : path[Prefix.Length..end];
            foreach (var pair in spec.Split(';', StringSplitOptions.RemoveEmptyEntries))
            {
                var eq = pair.IndexOf('=');
                var name = "x-sim-" + (eq < 0 ? pair : pair[..eq]);
                // A header the caller sent wins over the URL.
                if (!context.Request.Headers.ContainsKey(name)) context.Request.Headers[name] = eq < 0 ? "true" : pair[(eq + 1)..];
            }
            context.Request.Path = end < 0 ? "/" : path[end..];
        }
        return next(context);
    }
}
