using NexRelay.Contracts.Keys;
using NexRelay.Edge.Catalog;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Keys;

namespace NexRelay.Edge.Relay;

/// <summary>The outcome of authentication: the key (also when refused, so owners see refusals of their keys) or an error.</summary>
internal readonly record struct Admission(KeySnapshot? Key, EdgeError? Error, bool KeyPresented, KeySource? Source);

/// <summary>The output limit to send upstream, or why the request is refused.</summary>
internal readonly record struct PolicyDecision(EdgeError? Error, int MaxOutputTokens, bool Clamped);

/// <summary>
/// The edge's key checks on the hot path: authenticate (in-process cache first), police the model and output cap, and
/// apply the per-key rate limits shared by every edge replica through Redis.
/// </summary>
internal sealed class KeyGate(KeyResolver resolver, RateLimiter rateLimiter, TimeProvider time)
{
    public async ValueTask<Admission> AuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        if (KeyExtraction.Extract(request) is not { } presented) return new(null, EdgeError.MissingKey(), false, null);
        // Malformed keys are refused without a lookup and are not logged: they belong to nobody.
        if (!KeyHash.LooksLikeKey(presented.Key)) return new(null, EdgeError.InvalidKey(), false, presented.Source);
        KeySnapshot? key;
        try
        {
            key = await resolver.ResolveAsync(presented.Key, ct);
        }
        catch (KeyLookupUnavailableException)
        {
            // Neither the cache, Redis nor key-policy could say: an outage (503), never a wrong "invalid key".
            return new(null, new EdgeError(ErrorKind.Unavailable, "API keys cannot be checked right now; try again shortly.", "key_lookup_unavailable"), false, presented.Source);
        }
        return KeyValidity.IsUsable(key, time.GetUtcNow())
            ? new(key, null, true, presented.Source)
            : new(key, EdgeError.InvalidKey(), true, presented.Source);
    }

    public bool ModelAllowed(KeySnapshot key, string model) => PolicyEvaluator.IsModelAllowed(key.Policy, model);

    public PolicyDecision Police(KeySnapshot key, CatalogModel model, int? requestedMaxOutput)
    {
        if (!PolicyEvaluator.IsModelAllowed(key.Policy, model.Id))
        {
            return new(new EdgeError(ErrorKind.Permission, $"This API key is not allowed to use the model '{model.Id}'.", "model_not_allowed", "model"), 0, false);
        }
        var limit = PolicyEvaluator.DecideOutputLimit(requestedMaxOutput, key.Policy, model.MaxOutputTokens);
        return limit.Allowed
            ? new(null, limit.Limit, limit.CapApplied)
            : new(EdgeError.BadRequest(limit.Error ?? "The requested output limit is not allowed.", "max_tokens", "output_cap_exceeded"), 0, false);
    }

    /// <summary>Checks rpm/tpm across replicas; writes OpenAI-style x-ratelimit-* headers either way, and Retry-After when refused.</summary>
    public async ValueTask<EdgeError?> CheckRateAsync(HttpContext http, KeySnapshot key, CancellationToken ct)
    {
        if (key.Policy.Rpm is null && key.Policy.Tpm is null) return null;
        var decision = await rateLimiter.CheckAsync(key.Id, key.Policy.Rpm, key.Policy.Tpm, ct);
        decision.WriteHeaders(http.Response.Headers);
        if (decision.Allowed) return null;
        var what = decision.LimitedBy == RateLimitKind.Tokens ? $"{decision.TokenLimit} tokens" : $"{decision.RequestLimit} requests";
        return new EdgeError(ErrorKind.RateLimited,
            $"Rate limit reached for this key: {what} per minute. Retry after {decision.RetryAfterSeconds} s.", "rate_limit_exceeded");
    }

    /// <summary>Charges the request's real tokens to the key's tpm window, off the response path.</summary>
    public void RecordTokens(KeySnapshot key, long tokens)
    {
        if (key.Policy.Tpm is null || tokens <= 0) return;
        _ = rateLimiter.RecordTokensAsync(key.Id, key.Policy.Tpm, tokens, CancellationToken.None);
    }
}
