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

    public static EdgeError MissingKey() =>
        new(ErrorKind.Authentication, "Missing API key. Pass your NexRelay key in the Authorization: Bearer or x-api-key header.", "missing_api_key");

    /// <summary>Billing could not be asked (or answered something unexpected): its own words stay in the edge's log.</summary>
    public static EdgeError BillingUnavailable() =>
        new(ErrorKind.Unavailable, "Billing is unavailable, so nothing was sent upstream; try again shortly.", "billing_unavailable");

    public static EdgeError UnknownModel(string model) =>
        new(ErrorKind.NotFound, $"The model '{model}' does not exist or is not served by this gateway.", "model_not_found", "model");
}
