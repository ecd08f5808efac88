using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Mvc;

namespace NexRelay.Logging.Logs;

/// <summary>Validated filters shared by the list, export and usage queries.</summary>
public sealed record LogFilter(Guid? WalletId, Guid? KeyId, string? Model, int? Status, DateTimeOffset? From, DateTimeOffset? To);

/// <summary>Position after the last row of a page: newest first, so the next page holds rows strictly before it.</summary>
public readonly record struct LogCursor(DateTime CreatedAt, string RequestId)
{
    private static readonly long MaxMicros = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / 10;

    public string Encode()
    {
        var micros = (CreatedAt.ToUniversalTime().Ticks - DateTime.UnixEpoch.Ticks) / 10;
        var bytes = Encoding.UTF8.GetBytes($"{micros.ToString(CultureInfo.InvariantCulture)}:{RequestId}");
        return Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
    }

    public static bool TryDecode(string text, out LogCursor cursor)
    {
        cursor = default;
        if (text.Length is 0 or > 2048) return false;
        var base64 = text.Replace('-', '+').Replace('_', '/');
        base64 = base64.PadRight(base64.Length + (4 - base64.Length % 4) % 4, '=');
        var buffer = new byte[base64.Length];
        if (!Convert.TryFromBase64String(base64, buffer, out var length)) return false;
        string decoded;
        try
        {
            decoded = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(buffer, 0, length);
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
        var colon = decoded.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == decoded.Length - 1) return false;
        if (!long.TryParse(decoded.AsSpan(0, colon), NumberStyles.None, CultureInfo.InvariantCulture, out var micros) || micros > MaxMicros) return false;
        cursor = new LogCursor(new DateTime(DateTime.UnixEpoch.Ticks + micros * 10, DateTimeKind.Utc), decoded[(colon + 1)..]);
        return true;
    }
}

/// <summary>Raw query-string values, parsed by hand so a bad value is a 400 that names the parameter, never a binding failure.</summary>
public sealed class LogListQuery
{
    [FromQuery(Name = "wallet_id")] public string? WalletId { get; init; }
    [FromQuery(Name = "key_id")] public string? KeyId { get; init; }
    [FromQuery(Name = "model")] public string? Model { get; init; }
    [FromQuery(Name = "status")] public string? Status { get; init; }
    [FromQuery(Name = "from")] public string? From { get; init; }
    [FromQuery(Name = "to")] public string? To { get; init; }
    [FromQuery(Name = "limit")] public string? Limit { get; init; }
    [FromQuery(Name = "cursor")] public string? Cursor { get; init; }
}

public sealed class UsageQuery
{
    [FromQuery(Name = "wallet_id")] public string? WalletId { get; init; }
    [FromQuery(Name = "key_id")] public string? KeyId { get; init; }
    [FromQuery(Name = "model")] public string? Model { get; init; }
    [FromQuery(Name = "status")] public string? Status { get; init; }
    [FromQuery(Name = "from")] public string? From { get; init; }
    [FromQuery(Name = "to")] public string? To { get; init; }
    [FromQuery(Name = "group_by")] public string? GroupBy { get; init; }
}

/// <summary>Turns query-string values into typed filters, collecting one error per bad parameter.</summary>
public sealed class QueryParser
{
    public const int DefaultLimit = 50;
    public const int MaxLimit = 1000;
    private const int MaxModelLength = 256;

    public Dictionary<string, string[]> Errors { get; } = new(StringComparer.Ordinal);

    public bool IsValid => Errors.Count == 0;

    public LogFilter Filter(string? walletId, string? keyId, string? model, string? status, string? from, string? to)
    {
        var fromValue = Timestamp("from", from);
        var toValue = Timestamp("to", to);
        if (fromValue is { } f && toValue is { } t && t <= f) Add("to", "'to' must be later than 'from'.");
        if (model is { Length: > MaxModelLength }) Add("model", $"'model' must be at most {MaxModelLength} characters.");
        return new LogFilter(Uuid("wallet_id", walletId), Uuid("key_id", keyId), string.IsNullOrEmpty(model) ? null : model,
            StatusCode(status), fromValue, toValue);
    }

    public Guid? Uuid(string name, string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (Guid.TryParse(value, out var id)) return id;
        Add(name, $"'{name}' must be a UUID.");
        return null;
    }

    public int Limit(string? value)
    {
        if (string.IsNullOrEmpty(value)) return DefaultLimit;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var limit) && limit is >= 1 and <= MaxLimit) return limit;
        Add("limit", $"'limit' must be an integer from 1 to {MaxLimit}.");
        return DefaultLimit;
    }

    public LogCursor? Cursor(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (LogCursor.TryDecode(value, out var cursor)) return cursor;
        Add("cursor", "'cursor' is not a cursor returned by this API.");
        return null;
    }

    /// <summary>
    /// <c>group_by</c>: one dimension or several, comma-separated and distinct (<c>day,model</c>), grouped by all of them and
    /// ordered by them in the order given; model when absent.
    /// </summary>
    public IReadOnlyList<UsageDimension> Grouping(string? value)
    {
        if (string.IsNullOrEmpty(value)) return [UsageDimension.Model];
        var dimensions = new List<UsageDimension>(UsageDimensions.Names.Length);
        foreach (var part in value.Split(','))
        {
            var name = part.Trim();
            if (!UsageDimensions.TryParse(name, out var dimension))
            {
                Add("group_by", $"'group_by' must be one or more of {string.Join(", ", UsageDimensions.Names)}, comma-separated; '{name}' is none of them.");
                return [UsageDimension.Model];
            }
            if (dimensions.Contains(dimension))
            {
                Add("group_by", $"'group_by' names '{name}' twice.");
                return [UsageDimension.Model];
            }
            dimensions.Add(dimension);
        }
        return dimensions;
    }

    private int? StatusCode(string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var status) && status is >= 100 and <= 599) return status;
        Add("status", "'status' must be an HTTP status code (100-599).");
        return null;
    }

    private DateTimeOffset? Timestamp(string name, string? value)
    {
        if (string.IsNullOrEmpty(value)) return null;
        // ISO 8601; a value without an offset is taken as UTC.
        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AllowWhiteSpaces, out var at)
            && at.UtcDateTime.Year is >= 1970 and <= 9999)
        {
            return at.ToUniversalTime();
        }
        Add(name, $"'{name}' must be an ISO 8601 date or date-time (e.g. 2026-01-31T12:00:00Z).");
        return null;
    }

    private void Add(string name, string message) => Errors[name] = [message];
}
