using System.Net;
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
/// The edge's key checks on the hot path: authenticate (in-process cache first, guessing clients cut off), police the
/// model and output cap, and apply the per-key rate limits shared by every edge replica through Redis.
/// </summary>
internal sealed class KeyGate(KeyResolver resolver, FailedAuthLimiter failedAuth, KeyMetrics metrics, RateLimiter rateLimiter, TimeProvider time)
{
    /// <summary>
    /// Authenticates the presented key. Every presented key that is not a real one (malformed, unknown — also when memory already
    /// says so) is charged to its client (<see cref="FailedAuthLimiter"/>: remote address, IPv6 by /64; a
    /// forwarded-for header only from a trusted proxy, Clients/TrustedProxies.cs); over the limit it is answered 429 with no Redis read or key-policy call. The one thing such a
    /// request still costs is the HMAC (~1 µs), because it is how a real key is recognised: a client over the limit keeps using
    /// any key this replica knows as real — fresh in memory, or known from the last hour — so the users behind one NAT address
    /// are not locked out by a neighbour's guessing. A real key refused for its state (revoked, expired) is not charged: it names
    /// its owner, and the 401 tells them more than a 429 would; nor is a secret that was real here lately and has been rotated
    /// away (a client not yet updated is not guessing), nor a request without any key: it guesses nothing, costs nothing.
    /// </summary>
    public async ValueTask<Admission> AuthenticateAsync(HttpRequest request, CancellationToken ct)
    {
        if (KeyExtraction.Extract(request) is not { } presented) return new(null, EdgeError.MissingKey(), false, null);
        var client = request.HttpContext.Connection.RemoteIpAddress;
        // Malformed keys are refused without a lookup and are not logged: they belong to nobody.
        if (!KeyHash.LooksLikeKey(presented.Key)) return NotAKey(client, presented.Source);
        var hash = resolver.HashOf(presented.Key);
        if (resolver.TryGetCached(hash, out var cached))
        {
            if (cached is not null) return Admit(cached, presented.Source);
            return resolver.IsKnownKey(hash) ? new(null, EdgeError.InvalidKey(), false, presented.Source) : NotAKey(client, presented.Source);
        }

        // A lookup: charged up front, so a client's concurrent guesses cannot overshoot its limit; given back if the key is real.
        // Joining a lookup already under way costs nothing more, so it is not charged: a brand-new key's first burst of concurrent
        // requests (one client, many connections) must not spend the allowance before the one lookup says the key is real.
        var charged = !resolver.IsKnownKey(hash) && !resolver.IsLoading(hash);
        if (charged && failedAuth.TryCharge(client) is { } retryAfter) return Refused(retryAfter, presented.Source);
        KeySnapshot? key;
        try
        {
            key = await resolver.ResolveHashAsync(hash, ct);
        }
        catch (KeyLookupUnavailableException)
        {
            // Neither the cache, Redis nor key-policy could say: an outage (503), never a wrong "invalid key", nor the client's failure.
            if (charged) failedAuth.Refund(client);
            return new(null, new EdgeError(ErrorKind.Unavailable, "API keys cannot be checked right now; try again shortly.", "key_lookup_unavailable"), false, presented.Source);
        }
        catch (KeyLookupCappedException)
        {
            // Not in Redis, not known here, and many such at once: most likely a guess, so the charge stands.
            return new(null, EdgeError.KeyLookupBusy(), false, presented.Source);
        }
        if (key is null)
        {
            // One that joined a lookup uncharged still presented a key that does not exist: it counts now, its 401 unchanged.
            if (!charged) failedAuth.TryCharge(client);
            return new(null, EdgeError.InvalidKey(), false, presented.Source);
        }
        if (charged) failedAuth.Refund(client);
        return Admit(key, presented.Source);
    }

    private Admission Admit(KeySnapshot key, KeySource source) =>
        KeyValidity.IsUsable(key, time.GetUtcNow()) ? new(key, null, true, source) : new(key, EdgeError.InvalidKey(), true, source);

    /// <summary>A presented string that is no key: 401, or 429 once its client has had too many.</summary>
    private Admission NotAKey(IPAddress? client, KeySource source) =>
        failedAuth.TryCharge(client) is { } retryAfter ? Refused(retryAfter, source) : new(null, EdgeError.InvalidKey(), false, source);

    private Admission Refused(TimeSpan retryAfter, KeySource source)
    {
        metrics.FailedAuthRefused();
        return new(null, EdgeError.TooManyFailedAuthentications(retryAfter), false, source);
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
