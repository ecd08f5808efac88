using NexRelay.Edge.Relay;

namespace NexRelay.Edge.Tests.Relay;

/// <summary>How a request's end becomes the few metric values operators filter by: bounded, and each refusal under its reason.</summary>
public sealed class RequestOutcomeTests
{
    [Theory]
    [InlineData(401, "missing_api_key", "missing_key")]
    [InlineData(401, "invalid_api_key", "invalid_key")]
    [InlineData(429, "too_many_failed_authentications", "failed_auth")]
    [InlineData(402, "insufficient_quota", "wallet")]
    [InlineData(402, "budget_exceeded", "budget")]
    [InlineData(403, "model_not_allowed", "model_not_allowed")]
    [InlineData(404, "model_not_found", "unknown_model")]
    [InlineData(413, "request_too_large", "body_too_large")]
    [InlineData(413, null, "body_too_large")]
    [InlineData(429, "rate_limit_exceeded", "rate_limit")]
    [InlineData(400, "output_cap_exceeded", "output_cap")]
    [InlineData(400, "worst_case_too_large", "worst_case_too_large")]
    [InlineData(503, "billing_unavailable", "billing_unavailable")]
    [InlineData(503, "events_backlogged", "events_backlogged")]
    [InlineData(400, "invalid_json", "bad_request")]
    [InlineData(404, "unknown_url", "not_found")]
    [InlineData(405, "method_not_allowed", "other")]
    public void A_refusal_by_NexRelay_is_counted_under_its_reason(int status, string? code, string reason)
    {
        Assert.Equal(reason, RequestOutcome.RefusalReason(status, code, reachedUpstream: false));
        Assert.Equal(status >= 500 ? RequestOutcome.Error : RequestOutcome.Refused, RequestOutcome.Of(status, code, reachedUpstream: false));
    }

    [Fact]
    public void An_unforeseen_error_code_never_becomes_a_reason_of_its_own()
    {
        Assert.Equal("bad_request", RequestOutcome.RefusalReason(400, "something the future adds", reachedUpstream: false));
        Assert.Equal("other", RequestOutcome.RefusalReason(418, "teapot " + Guid.NewGuid(), reachedUpstream: false));
    }

    [Theory]
    [InlineData(200, null)]
    [InlineData(400, "invalid_request")]
    [InlineData(502, "upstream_error")]
    [InlineData(499, "client_closed_request")]
    [InlineData(500, "internal_error")]
    public void What_an_upstream_answered_or_a_client_leaving_is_no_refusal(int status, string? code)
    {
        Assert.Null(RequestOutcome.RefusalReason(status, code, reachedUpstream: true));
        Assert.Null(RequestOutcome.RefusalReason(499, "client_closed_request", reachedUpstream: false));
        Assert.Null(RequestOutcome.RefusalReason(500, "internal_error", reachedUpstream: false));
    }

    [Theory]
    [InlineData(200, null, true, RequestOutcome.Success)]
    [InlineData(200, "upstream_stream_error", true, RequestOutcome.UpstreamFailed)]
    [InlineData(200, "upstream_timeout", true, RequestOutcome.UpstreamFailed)]
    [InlineData(400, "upstream_rejected", true, RequestOutcome.UpstreamRefused)]
    [InlineData(502, "upstream_error", true, RequestOutcome.UpstreamFailed)]
    [InlineData(504, "upstream_timeout", true, RequestOutcome.UpstreamFailed)]
    [InlineData(499, "client_closed_request", true, RequestOutcome.ClientClosed)]
    [InlineData(200, "client_closed_request", true, RequestOutcome.ClientClosed)]
    [InlineData(500, "internal_error", false, RequestOutcome.Error)]
    [InlineData(402, "insufficient_quota", false, RequestOutcome.Refused)]
    public void Each_end_of_a_request_has_one_outcome(int status, string? code, bool reachedUpstream, string outcome) =>
        Assert.Equal(outcome, RequestOutcome.Of(status, code, reachedUpstream));

    [Theory]
    [InlineData(200, "2xx")]
    [InlineData(402, "4xx")]
    [InlineData(499, "4xx")]
    [InlineData(504, "5xx")]
    [InlineData(0, "other")]
    public void Statuses_fall_into_their_class(int status, string statusClass) => Assert.Equal(statusClass, RequestOutcome.StatusClass(status));
}
