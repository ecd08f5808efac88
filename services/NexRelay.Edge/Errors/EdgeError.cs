namespace NexRelay.Edge.Errors;

/// <summary>What went wrong, independent of the caller's wire format. One writer per format renders it.</summary>
public enum ErrorKind
{
    InvalidRequest,
    Authentication,
    InsufficientQuota,
    Permission,
    NotFound,
    TooLarge,
    RateLimited,
    UpstreamError,
    UpstreamTimeout,
    Unavailable,
}

/// <param name="Code">NexRelay's stable error code, also recorded in the request log (e.g. invalid_api_key, model_not_found).</param>
public sealed record EdgeError(ErrorKind Kind, string Message, string Code, string? Param = null, int? StatusOverride = null)
{
    /// <summary>Sent as <c>Retry-After</c> (whole seconds, at least 1) when set.</summary>
    public TimeSpan? RetryAfter { get; init; }

    public int Status => StatusOverride ?? Kind switch
    {
        ErrorKind.InvalidRequest => 400,
        ErrorKind.Authentication => 401,
        ErrorKind.InsufficientQuota => 402,
        ErrorKind.Permission => 403,
        ErrorKind.NotFound => 404,
        ErrorKind.TooLarge => 413,
        ErrorKind.RateLimited => 429,
        ErrorKind.UpstreamError => 502,
        ErrorKind.UpstreamTimeout => 504,
        ErrorKind.Unavailable => 503,
        _ => 500,
    };

    public static EdgeError BadRequest(string message, string? param = null, string code = "invalid_request") =>
        new(ErrorKind.InvalidRequest, message, code, param);

    /// <summary>The same words for a missing, unknown, expired, disabled or revoked key: the error never says whether a key exists.</summary>
    public static EdgeError InvalidKey() =>
        new(ErrorKind.Authentication, "Invalid API key. Pass a valid NexRelay key in the Authorization: Bearer or x-api-key header.", "invalid_api_key");

    /// <summary>The caller's address presented too many keys that do not exist: refused before any lookup (Keys/FailedAuthLimiter.cs).</summary>
    public static EdgeError TooManyFailedAuthentications(TimeSpan retryAfter) =>
        new(ErrorKind.RateLimited, $"Too many requests with invalid API keys from this address. Retry after {RetrySeconds(retryAfter)} s.",
            "too_many_failed_authentications") { RetryAfter = retryAfter };

    /// <summary>The key is not cached and the cap on lookups of unknown keys is reached (Keys/UnknownKeyLookups.cs): brief, retryable.</summary>
    public static EdgeError KeyLookupBusy() =>
        new(ErrorKind.Unavailable, "API keys cannot be checked right now; try again shortly.", "key_lookup_busy") { RetryAfter = TimeSpan.FromSeconds(1) };

    /// <summary>Whole seconds for <c>Retry-After</c>: rounded up, at least 1.</summary>
    public static int RetrySeconds(TimeSpan wait) => Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));

    public static EdgeError MissingKey() =>
        new(ErrorKind.Authentication, "Missing API key. Pass your NexRelay key in the Authorization: Bearer or x-api-key header.", "missing_api_key");

    /// <summary>Billing could not be asked (or answered something unexpected): its own words stay in the edge's log.</summary>
    public static EdgeError BillingUnavailable() =>
        new(ErrorKind.Unavailable, "Billing is unavailable, so nothing was sent upstream; try again shortly.", "billing_unavailable");

    public static EdgeError UnknownModel(string model) =>
        new(ErrorKind.NotFound, $"The model '{model}' does not exist or is not served by this gateway.", "model_not_found", "model");
}
