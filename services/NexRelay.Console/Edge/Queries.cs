namespace NexRelay.Console.Edge;

/// <summary>A filtered view of the request logs, as the console's forms and links carry it (the logs API's own parameters).</summary>
public sealed record LogQuery(string? Model = null, string? Status = null, string? From = null, string? To = null, string? Cursor = null,
    string? Limit = null, Guid? WalletId = null, Guid? KeyId = null)
{
    /// <summary>The query string; wallet and key filters only for operators (a key holder's are pinned by the edge).</summary>
    public string ToQueryString(bool asOperator) => EdgeApi.Query(
        ("model", Model), ("status", Status), ("from", From), ("to", To), ("cursor", Cursor), ("limit", Limit),
        ("wallet_id", asOperator ? WalletId?.ToString() : null), ("key_id", asOperator ? KeyId?.ToString() : null));
}

/// <summary>A usage question: a range, and the dimensions to group by (<c>day</c>, <c>model</c>, <c>key</c>, <c>status</c>).</summary>
public sealed record UsageQuery(DateTimeOffset From, DateTimeOffset To, string? GroupBy, Guid? WalletId = null, Guid? KeyId = null)
{
    public string ToQueryString(bool asOperator) => EdgeApi.Query(
        ("from", From.UtcDateTime.ToString("O")), ("to", To.UtcDateTime.ToString("O")), ("group_by", GroupBy),
        ("wallet_id", asOperator ? WalletId?.ToString() : null), ("key_id", asOperator ? KeyId?.ToString() : null));
}
