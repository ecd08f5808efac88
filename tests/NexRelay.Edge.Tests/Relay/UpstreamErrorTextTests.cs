using NexRelay.Edge.Catalog;
using NexRelay.Edge.Relay;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Tests.Relay;

/// <summary>What a caller reads of an upstream's error: its own words on a 4xx, never NexRelay's credential or a 5xx body.</summary>
public sealed class UpstreamErrorTextTests
{
    private const string ProviderKey = "sk-proj-0123456789abcdefABCDEF";
    private static readonly Provider OpenAI = new("openai", UpstreamKind.OpenAI, new Uri("https://api.openai.com/v1/"), ProviderKey, "2023-06-01");

    [Fact]
    public void An_upstreams_own_4xx_words_pass()
    {
        const string words = "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.";
        Assert.Equal("Upstream: " + words, UpstreamErrorText.Refusal(400, words, OpenAI));
    }

    [Theory]
    [InlineData(401, "Incorrect API key provided: sk-proj-****CDEF. You can find your API key at https://platform.openai.com/account/api-keys.")]
    [InlineData(403, "Project proj_abc does not have access to model gpt-5.4; key " + ProviderKey)]
    public void A_refusal_of_the_gateways_own_credentials_says_so_without_the_upstreams_words(int status, string words)
    {
        var text = UpstreamErrorText.Refusal(status, words, OpenAI);
        Assert.DoesNotContain("sk-proj", text, StringComparison.Ordinal);
        Assert.DoesNotContain("proj_abc", text, StringComparison.Ordinal);
        Assert.Contains($"HTTP {status}", text, StringComparison.Ordinal);
        Assert.Contains("not your API key", text, StringComparison.Ordinal);
    }

    [Fact]
    public void The_provider_key_is_taken_out_of_any_message_that_echoes_it()
    {
        var text = UpstreamErrorText.Refusal(400, $"Bad request from key {ProviderKey}: unknown field 'x'", OpenAI);
        Assert.Equal("Upstream: Bad request from key [redacted]: unknown field 'x'", text);
        Assert.Equal("upstream said [redacted]", UpstreamErrorText.Redact($"upstream said {ProviderKey}", OpenAI));
    }

    [Fact]
    public void A_refusal_without_words_names_its_status() =>
        Assert.Equal("Upstream: The upstream refused the request (422).", UpstreamErrorText.Refusal(422, null, OpenAI));

    [Fact]
    public void A_server_error_shows_its_status_only() =>
        Assert.Equal("the upstream answered HTTP 503.", UpstreamErrorText.ServerError(503));
}
