using System.Buffers;
using System.Globalization;
using System.Text;

namespace NexRelay.Logging.Logs;

/// <summary>
/// Streams log rows as RFC 4180 CSV: a header row, then one row per log, flushed as it goes. Cells a spreadsheet would read
/// as a formula are neutralised (OWASP "CSV injection"): user agents, models and bodies come from API callers, and the
/// export is opened by operators.
/// </summary>
public sealed class CsvExportResult(IAsyncEnumerable<LogEntry> rows) : IResult
{
    public static readonly string[] Header =
    [
        "request_id", "created_at", "key_id", "key_hint", "wallet_id", "client_format", "route", "model", "upstream_provider",
        "upstream_model", "stream", "status", "error_code", "input_tokens", "cached_input_tokens", "output_tokens",
        "reasoning_tokens", "usage_estimated", "usage_clamped", "held_usd", "cost_usd", "latency_ms", "upstream_ttfb_ms", "ttft_ms",
        "finish_reason", "client_ip", "user_agent", "stored_bytes", "request_body", "response_body",
    ];

    private const int FlushEveryRows = 256;

    /// <summary>What a spreadsheet may take as the start of a formula (tab and CR too: some strip them and read on).</summary>
    private static readonly SearchValues<char> FormulaStart = SearchValues.Create("=+-@\t\r");

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        var cancellationToken = httpContext.RequestAborted;
        response.ContentType = "text/csv; charset=utf-8";
        response.Headers.ContentDisposition = "attachment; filename=\"request-logs.csv\"";
        var line = new StringBuilder(512);
        await using var writer = new StreamWriter(response.Body, new UTF8Encoding(false), bufferSize: 16 * 1024);
        AppendRow(line, Header);
        await writer.WriteAsync(line, cancellationToken);
        var count = 0;
        await foreach (var row in rows.WithCancellation(cancellationToken))
        {
            line.Clear();
            AppendRow(line, Fields(row));
            await writer.WriteAsync(line, cancellationToken);
            if (++count % FlushEveryRows == 0) await writer.FlushAsync(cancellationToken);
        }
        await writer.FlushAsync(cancellationToken);
    }

    public static IEnumerable<string?> Fields(LogEntry e)
    {
        var c = CultureInfo.InvariantCulture;
        yield return e.RequestId;
        yield return e.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff'Z'", c);
        yield return e.KeyId?.ToString();
        yield return e.KeyHint;
        yield return e.WalletId?.ToString();
        yield return e.ClientFormat;
        yield return e.Route;
        yield return e.Model;
        yield return e.UpstreamProvider;
        yield return e.UpstreamModel;
        yield return e.Stream ? "true" : "false";
        yield return e.Status.ToString(c);
        yield return e.ErrorCode;
        yield return e.InputTokens.ToString(c);
        yield return e.CachedInputTokens.ToString(c);
        yield return e.OutputTokens.ToString(c);
        yield return e.ReasoningTokens.ToString(c);
        yield return e.UsageEstimated ? "true" : "false";
        yield return e.UsageClamped ? "true" : "false";
        yield return e.HeldUsd.ToString(c);
        yield return e.CostUsd.ToString(c);
        yield return e.LatencyMs.ToString("R", c);
        yield return e.UpstreamTtfbMs?.ToString("R", c);
        yield return e.TtftMs?.ToString("R", c);
        yield return e.FinishReason;
        yield return e.ClientIp;
        yield return e.UserAgent;
        yield return e.StoredBytes?.ToString(c);
        yield return e.RequestBody;
        yield return e.ResponseBody;
    }

    public static void AppendRow(StringBuilder line, IEnumerable<string?> fields)
    {
        var first = true;
        foreach (var field in fields)
        {
            if (!first) line.Append(',');
            first = false;
            AppendField(line, field);
        }
        line.Append("\r\n");
    }

    /// <summary>
    /// A cell that starts like a formula gets a leading apostrophe, which spreadsheets show as text; the rest of the cell is
    /// kept as it was. A plain number (a negative figure) is left alone: it cannot run anything.
    /// </summary>
    public static string? Neutralise(string? value) =>
        value is { Length: > 0 } && FormulaStart.Contains(value[0])
            && !double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out _)
            ? "'" + value
            : value;

    private static void AppendField(StringBuilder line, string? value)
    {
        value = Neutralise(value);
        if (string.IsNullOrEmpty(value)) return;
        if (value.AsSpan().IndexOfAny(",\"\r\n") < 0)
        {
            line.Append(value);
            return;
        }
        line.Append('"').Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
    }
}
