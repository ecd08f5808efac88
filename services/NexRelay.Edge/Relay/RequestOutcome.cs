namespace NexRelay.Edge.Relay;

/// <summary>
/// How a request ended and why it was refused, as the few values an operator filters metrics by. Pure, so the mapping from
/// statuses and NexRelay's error codes is tested on its own (RequestOutcomeTests); anything unforeseen falls into a fixed
/// bucket, so no error code ever becomes an unbounded label.
/// </summary>
internal static class RequestOutcome
{
    public const string Success = "success";
    public const string Refused = "refused";
    public const string UpstreamRefused = "upstream_refused";
    public const string UpstreamFailed = "upstream_failed";
    public const string ClientClosed = "client_closed";
    public const string Error = "error";

    /// <param name="reachedUpstream">An upstream was asked (it answered, refused or failed): the edge itself did not refuse.</param>
    public static string Of(int status, string? errorCode, bool reachedUpstream)
    {
        if (status == 499 || errorCode == "client_closed_request") return ClientClosed;
        if (errorCode == "internal_error") return Error;
        if (status is >= 200 and < 300) return errorCode is null ? Success : UpstreamFailed; // a stream cut or timed out after it began
        if (!reachedUpstream) return status >= 500 ? Error : Refused;
        return status < 500 ? UpstreamRefused : UpstreamFailed;
    }

    /// <summary>The reason NexRelay refused a request before any upstream was asked; null when it was not refused.</summary>
    public static string? RefusalReason(int status, string? errorCode, bool reachedUpstream)
    {
        if (reachedUpstream || status < 400 || status == 499 || errorCode is "internal_error" or "client_closed_request") return null;
        return errorCode switch
        {
            "missing_api_key" => "missing_key",
            "invalid_api_key" => "invalid_key",
            "too_many_failed_authentications" => "failed_auth",
            "insufficient_quota" => "wallet",
            "budget_exceeded" => "budget",
            "model_not_allowed" => "model_not_allowed",
            "model_not_found" => "unknown_model",
            "rate_limit_exceeded" => "rate_limit",
            "output_cap_exceeded" => "output_cap",
            "request_too_large" => "body_too_large",
            "worst_case_too_large" => "worst_case_too_large",
            "key_lookup_busy" or "key_lookup_unavailable" or "billing_unavailable" or "events_backlogged" or "store_unavailable" => errorCode,
            _ => status switch
            {
                413 => "body_too_large",
                400 => "bad_request",
                404 => "not_found",
                _ => "other",
            },
        };
    }

    /// <summary>"2xx", "4xx", "5xx": the status class (499, a client that left, is "4xx").</summary>
    public static string StatusClass(int status) => status switch
    {
        >= 200 and < 300 => "2xx",
        >= 300 and < 400 => "3xx",
        >= 400 and < 500 => "4xx",
        >= 500 and < 600 => "5xx",
        _ => "other",
    };
}
