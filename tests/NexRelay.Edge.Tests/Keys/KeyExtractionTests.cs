using Microsoft.AspNetCore.Http;
using NexRelay.Edge.Keys;

namespace NexRelay.Edge.Tests.Keys;

public sealed class KeyExtractionTests
{
    private static HttpRequest Request(Dictionary<string, string>? headers = null, string query = "")
    {
        var context = new DefaultHttpContext();
        foreach (var (name, value) in headers ?? []) context.Request.Headers[name] = value;
        context.Request.QueryString = new QueryString(query);
        return context.Request;
    }

    [Fact]
    public void Bearer_token_is_read_from_authorization() =>
        Assert.Equal(new PresentedKey("nrk_abc", KeySource.Bearer), KeyExtraction.Extract(Request(new() { ["Authorization"] = "Bearer nrk_abc" })));

    [Fact]
    public void Bearer_scheme_is_case_insensitive_and_trimmed() =>
        Assert.Equal(new PresentedKey("nrk_abc", KeySource.Bearer), KeyExtraction.Extract(Request(new() { ["Authorization"] = "bearer   nrk_abc  " })));

    [Fact]
    public void Anthropic_x_api_key_is_read() =>
        Assert.Equal(new PresentedKey("nrk_abc", KeySource.XApiKey), KeyExtraction.Extract(Request(new() { ["x-api-key"] = "nrk_abc" })));

    [Fact]
    public void Google_header_is_read() =>
        Assert.Equal(new PresentedKey("nrk_abc", KeySource.Google), KeyExtraction.Extract(Request(new() { ["x-goog-api-key"] = "nrk_abc" })));

    [Fact]
    public void Google_query_key_is_read() =>
        Assert.Equal(new PresentedKey("nrk_abc", KeySource.Google), KeyExtraction.Extract(Request(query: "?alt=sse&key=nrk_abc")));

    [Fact]
    public void Authorization_wins_over_the_other_places()
    {
        var request = Request(new() { ["Authorization"] = "Bearer nrk_a", ["x-api-key"] = "nrk_b", ["x-goog-api-key"] = "nrk_c" }, "?key=nrk_d");
        Assert.Equal(new PresentedKey("nrk_a", KeySource.Bearer), KeyExtraction.Extract(request));
    }

    [Fact]
    public void Header_wins_over_the_query() =>
        Assert.Equal(new PresentedKey("nrk_c", KeySource.Google), KeyExtraction.Extract(Request(new() { ["x-goog-api-key"] = "nrk_c" }, "?key=nrk_d")));

    [Theory]
    [InlineData("Basic dXNlcjpwYXNz")]
    [InlineData("Bearer")]
    [InlineData("Bearer    ")]
    [InlineData("nrk_abc")]
    public void Non_bearer_or_empty_authorization_is_no_key(string authorization) =>
        Assert.Null(KeyExtraction.Extract(Request(new() { ["Authorization"] = authorization })));

    [Fact]
    public void Empty_headers_and_query_are_no_key() =>
        Assert.Null(KeyExtraction.Extract(Request(new() { ["x-api-key"] = " ", ["x-goog-api-key"] = "" }, "?key=")));

    [Fact]
    public void Nothing_presented_is_null() => Assert.Null(KeyExtraction.Extract(Request()));
}
