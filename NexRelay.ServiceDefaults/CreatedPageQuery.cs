using System.Buffers.Binary;
using System.Buffers.Text;
using System.Globalization;

namespace NexRelay.ServiceDefaults;

/// <summary>
/// The <c>limit</c> and <c>cursor</c> of a page of rows listed newest first by <c>(created_at, id)</c> with a UUID id
/// (wallets, keys): the next page holds the rows strictly before the cursor, so rows created meanwhile never shift a page.
/// </summary>
public readonly record struct CreatedPageQuery(int PageSize, CreatedCursor? Before)
{
    /// <summary>The query, or the errors naming each bad parameter (a 400 for the caller).</summary>
    public static CreatedPageQuery Parse(string? limit, string? cursor, int defaultLimit, int maxLimit, Dictionary<string, string[]> errors)
    {
        var pageSize = defaultLimit;
        if (!string.IsNullOrEmpty(limit)
            && (!int.TryParse(limit, NumberStyles.None, CultureInfo.InvariantCulture, out pageSize) || pageSize < 1 || pageSize > maxLimit))
        {
            errors["limit"] = [$"An integer from 1 to {maxLimit}."];
        }
        CreatedCursor? before = null;
        if (!string.IsNullOrEmpty(cursor))
        {
            if (CreatedCursor.TryDecode(cursor, out var parsed)) before = parsed;
            else errors["cursor"] = ["Use the next_cursor of the previous page."];
        }
        return new CreatedPageQuery(pageSize, before);
    }

    /// <summary>
    /// Trims a page read with one row more than <see cref="PageSize"/> (the extra row only says another page exists) and
    /// returns the next page's cursor, or null on the last page.
    /// </summary>
    public string? TrimToPage<T>(List<T> rows, Func<T, CreatedCursor> positionOf)
    {
        if (rows.Count <= PageSize) return null;
        rows.RemoveRange(PageSize, rows.Count - PageSize);
        return positionOf(rows[^1]).Encode();
    }
}

/// <summary>
/// A row's position in a newest-first listing, opaque to callers: base64url of the creation time in microseconds since
/// 1970 (PostgreSQL's precision, so the position is exact) and the id, both big-endian.
/// </summary>
public readonly record struct CreatedCursor(DateTimeOffset CreatedAt, Guid Id)
{
    private const int Length = sizeof(long) + 16;
    private static readonly long MinMicros = (DateTimeOffset.MinValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;
    private static readonly long MaxMicros = (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public string Encode()
    {
        Span<byte> bytes = stackalloc byte[Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, (CreatedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10);
        Id.TryWriteBytes(bytes[sizeof(long)..], bigEndian: true, out _);
        return Base64Url.EncodeToString(bytes);
    }

    public static bool TryDecode(string text, out CreatedCursor cursor)
    {
        cursor = default;
        // IsValid first: the decoder throws on what is not base64url at all.
        if (text.Length > 64 || !Base64Url.IsValid(text, out var length) || length != Length) return false;
        Span<byte> bytes = stackalloc byte[Length];
        if (!Base64Url.TryDecodeFromChars(text, bytes, out var written) || written != Length) return false;
        var micros = BinaryPrimitives.ReadInt64BigEndian(bytes);
        if (micros < MinMicros || micros > MaxMicros) return false;
        cursor = new CreatedCursor(DateTimeOffset.UnixEpoch.AddTicks(micros * 10), new Guid(bytes[sizeof(long)..Length], bigEndian: true));
        return true;
    }
}
