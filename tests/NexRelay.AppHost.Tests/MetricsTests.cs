using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Aspire.Hosting.Testing;
using NexRelay.ServiceDefaults;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// The gateway's business in metrics, read the way a Prometheus server reads it: each service's <c>/metrics</c>. Counters are
/// cumulative and the cluster is shared, so each test compares a scrape before with one after its own requests (at least its
/// own share moved), and every scrape is searched for the test's key, wallet and request ids: no attribute may carry them.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class MetricsTests(ClusterFixture cluster)
{
    private const string Requests = "nexrelay_edge_requests_total";
    private const string Refusals = "nexrelay_edge_refusals_total";
    private const string TokenUsageCount = "gen_ai_client_token_usage_count";
    private const string TokenUsageSum = "gen_ai_client_token_usage_sum";
    private const string DurationCount = "gen_ai_client_operation_duration_seconds_count";
    private const string UpstreamLatencyCount = "nexrelay_edge_upstream_latency_seconds_count";
    private const string UpstreamFailures = "nexrelay_edge_upstream_failures_total";
    private const string SettlementLagCount = "nexrelay_billing_settlement_lag_seconds_count";
    private const string IngestionLagCount = "nexrelay_logging_ingestion_lag_seconds_count";
    private const string IngestionLagBucket = "nexrelay_logging_ingestion_lag_seconds_bucket";

    [Fact]
    public async Task A_successful_request_counts_its_model_tokens_cost_latency_and_settlement()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var edgeBefore = await ScrapeAsync(cluster.EdgeUrl);
        var billingBefore = await ScrapeAsync(Billing);
        var loggingBefore = await ScrapeAsync(Logging);

        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var requestId = RequestId(response);
        var edge = await ScrapeAsync(cluster.EdgeUrl);

        var model = Labels(("gen_ai_request_model", "gpt-5.4"), ("nexrelay_client_format", "openai-chat"));
        Assert.True(edge.Delta(edgeBefore, Requests, model, ("nexrelay_outcome", "success"), ("nexrelay_status_class", "2xx")) >= 1);
        Assert.True(edge.Delta(edgeBefore, TokenUsageCount, model, ("gen_ai_token_type", "input"), ("gen_ai_operation_name", "chat")) >= 1);
        Assert.True(edge.Delta(edgeBefore, TokenUsageSum, model, ("gen_ai_token_type", "output")) >= 3);
        Assert.True(edge.Delta(edgeBefore, DurationCount, model) >= 1);
        Assert.True(edge.Delta(edgeBefore, UpstreamLatencyCount, model) >= 1);
        Assert.True(edge.Delta(edgeBefore, edge.NameStartingWith("nexrelay_edge_cost"), model) > 0);
        // The provider is the catalog's upstream, never "none", for a request that reached it.
        Assert.Contains(edge.Series(Requests, model, ("nexrelay_outcome", "success")), s => s.Labels["gen_ai_provider_name"] != "none");
        Assert.NotEmpty(edge.Series("nexrelay_edge_leases_open"));

        // Billing captures it from the event: the settlement lag moves, and the open holds and leases are counted.
        var billing = await WaitForAsync(Billing, b => b.Delta(billingBefore, SettlementLagCount) >= 1);
        Assert.NotEmpty(billing.Series("nexrelay_billing_holds_open"));
        Assert.NotEmpty(billing.Series("nexrelay_billing_leases_open"));
        // Logging stores its row: one ingestion-lag sample per request, in buckets fine enough for a healthy sub-second lag.
        // (How long it took is not asserted: the test servers' queues may still hold events of earlier runs, hours old.)
        var logging = await WaitForAsync(Logging, l => l.Delta(loggingBefore, IngestionLagCount) >= 1);
        Assert.Contains(logging.Series(IngestionLagBucket), s => s.Labels["le"] == "0.25");
        await AssertNothingIdentifiesAsync(tenant, requestId);
    }

    [Fact]
    public async Task A_short_wallet_is_counted_as_a_wallet_refusal()
    {
        var tenant = await Tenant.CreateAsync(cluster, creditUsd: 0.000001m);
        var before = await ScrapeAsync(cluster.EdgeUrl);

        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat("gpt-5.4"));
        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var after = await ScrapeAsync(cluster.EdgeUrl);

        var model = Labels(("gen_ai_request_model", "gpt-5.4"));
        Assert.True(after.Delta(before, Refusals, model, ("nexrelay_refusal_reason", "wallet"), ("http_response_status_code", "402")) >= 1);
        Assert.True(after.Delta(before, Requests, model, ("nexrelay_outcome", "refused"), ("nexrelay_status_class", "4xx"), ("gen_ai_provider_name", "none")) >= 1);
        await AssertNothingIdentifiesAsync(tenant, RequestId(response));
    }

    [Fact]
    public async Task A_request_over_the_keys_rpm_is_counted_as_a_rate_limit_refusal()
    {
        var tenant = await Tenant.CreateAsync(cluster, policy: new() { ["rpm"] = 1 });
        using var first = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages", AnthropicBody("gpt-5.4"));
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        var before = await ScrapeAsync(cluster.EdgeUrl);

        using var second = await PostAsync(cluster.Edge, tenant.Key, "/v1/messages", AnthropicBody("gpt-5.4"));
        Assert.Equal(HttpStatusCode.TooManyRequests, second.StatusCode);
        var after = await ScrapeAsync(cluster.EdgeUrl);

        Assert.True(after.Delta(before, Refusals, Labels(("nexrelay_refusal_reason", "rate_limit"), ("http_response_status_code", "429"),
            ("gen_ai_request_model", "gpt-5.4"), ("nexrelay_client_format", "anthropic"))) >= 1);
        await AssertNothingIdentifiesAsync(tenant, RequestId(first), RequestId(second));
    }

    [Fact]
    public async Task An_upstream_failure_is_counted_per_upstream_and_as_a_failed_request()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var before = await ScrapeAsync(cluster.EdgeUrl);

        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(TestCatalog.Down));
        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        var after = await ScrapeAsync(cluster.EdgeUrl);

        var model = Labels(("gen_ai_request_model", TestCatalog.Down));
        Assert.True(after.Delta(before, Requests, model, ("nexrelay_outcome", "upstream_failed"), ("nexrelay_status_class", "5xx"),
            ("gen_ai_provider_name", "sim-fail")) >= 1);
        Assert.True(after.Delta(before, DurationCount, model, ("error_type", "502")) >= 1);
        // Its attempts failed with the upstream's 503, or not at all once other tests' failures opened the breaker.
        var provider = Labels(("gen_ai_provider_name", "sim-fail"));
        Assert.True(after.Delta(before, UpstreamFailures, provider) >= 1);
        Assert.True(after.Delta(before, "nexrelay_edge_upstream_retries_total", provider)
            + after.Delta(before, UpstreamFailures, provider, ("nexrelay_upstream_failure", "breaker_open")) >= 1);
        Assert.Contains(after.Series("nexrelay_edge_upstream_breaker_state", provider), s => s.Value is 0 or 1 or 2);
        Assert.Equal(0, after.Delta(before, Refusals, model));
        await AssertNothingIdentifiesAsync(tenant, RequestId(response));
    }

    [Fact]
    public async Task A_model_name_the_catalog_lacks_is_counted_as_unknown_never_by_its_name()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var invented = "made-up-" + Guid.NewGuid().ToString("N");
        var before = await ScrapeAsync(cluster.EdgeUrl);

        using var response = await PostAsync(cluster.Edge, tenant.Key, "/api/v1/chat/completions", Chat(invented));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var after = await ScrapeAsync(cluster.EdgeUrl);

        Assert.True(after.Delta(before, Refusals, Labels(("gen_ai_request_model", "unknown"), ("nexrelay_refusal_reason", "unknown_model"))) >= 1);
        Assert.DoesNotContain(invented, after.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Every_service_serves_its_scrape_and_the_edge_routes_no_metrics_under_the_public_api()
    {
        foreach (var service in new[] { ResourceNames.Edge, ResourceNames.Billing, ResourceNames.Logging, ResourceNames.KeyPolicy })
        {
            var scrape = await ScrapeAsync(cluster.App.GetEndpoint(service, "http"));
            Assert.Contains("# TYPE", scrape.Text, StringComparison.Ordinal);
        }
        // The Ingress routes /api/v1, /v1 and /v1beta only; none of them answers with the scrape.
        foreach (var path in new[] { "/api/v1/metrics", "/v1/metrics", "/v1beta/metrics" })
        {
            using var response = await cluster.Edge.GetAsync(path);
            Assert.DoesNotContain("# TYPE", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }
    }

    private Uri Billing => cluster.App.GetEndpoint(ResourceNames.Billing, "http");
    private Uri Logging => cluster.App.GetEndpoint(ResourceNames.Logging, "http");

    /// <summary>No series of any service names the test's key, wallet or requests: they would make a series per tenant or request.</summary>
    private async Task AssertNothingIdentifiesAsync(Tenant tenant, params string[] requestIds)
    {
        string[] secrets = [tenant.KeyId.ToString(), tenant.KeyId.ToString("N"), tenant.WalletId.ToString(), tenant.WalletId.ToString("N"), tenant.Key,
            .. requestIds];
        foreach (var service in new[] { ResourceNames.Edge, ResourceNames.Billing, ResourceNames.Logging, ResourceNames.KeyPolicy })
        {
            var scrape = await ScrapeAsync(cluster.App.GetEndpoint(service, "http"));
            foreach (var secret in secrets) Assert.DoesNotContain(secret, scrape.Text, StringComparison.OrdinalIgnoreCase);
        }
    }

    private static async Task<Scrape> WaitForAsync(Uri service, Func<Scrape, bool> done)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var scrape = await ScrapeAsync(service);
            if (done(scrape)) return scrape;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(30), $"{service} did not report it within 30 s");
            await Task.Delay(200);
        }
    }

    private static async Task<Scrape> ScrapeAsync(Uri service)
    {
        using var http = new HttpClient { BaseAddress = service, Timeout = TimeSpan.FromSeconds(30) };
        using var response = await http.GetAsync("/metrics");
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{service}metrics: {(int)response.StatusCode} {text}");
        return Scrape.Parse(text);
    }

    private static (string, string)[] Labels(params (string, string)[] labels) => labels;

    private sealed record Sample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

    /// <summary>The Prometheus text format, as much of it as these tests read: one sample per line, labels and value.</summary>
    private sealed partial record Scrape(string Text, IReadOnlyList<Sample> Samples)
    {
        public static Scrape Parse(string text)
        {
            var samples = new List<Sample>();
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0 || line[0] == '#') continue;
                var match = SampleLine().Match(line);
                if (!match.Success) continue;
                var labels = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (Match label in LabelPair().Matches(match.Groups["labels"].Value))
                {
                    labels[label.Groups["name"].Value] = label.Groups["value"].Value.Replace("\\\"", "\"").Replace("\\\\", "\\");
                }
                var value = match.Groups["value"].Value switch
                {
                    "+Inf" => double.PositiveInfinity,
                    "-Inf" => double.NegativeInfinity,
                    var v => double.Parse(v, CultureInfo.InvariantCulture),
                };
                samples.Add(new Sample(match.Groups["name"].Value, labels, value));
            }
            return new Scrape(text, samples);
        }

        public IEnumerable<Sample> Series(string name, params (string Name, string Value)[] labels) =>
            Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value));

        public IEnumerable<Sample> Series(string name, (string, string)[] labels, params (string, string)[] more) => Series(name, [.. labels, .. more]);

        public double Sum(string name, params (string, string)[] labels) => Series(name, labels).Sum(s => s.Value);

        /// <summary>How much the matching series grew since <paramref name="before"/> (a series new since then counts from zero).</summary>
        public double Delta(Scrape before, string name, params (string, string)[] labels) => Sum(name, labels) - before.Sum(name, labels);

        public double Delta(Scrape before, string name, (string, string)[] labels, params (string, string)[] more) => Delta(before, name, [.. labels, .. more]);

        /// <summary>The exporter appends the unit to a name; this finds the counter whatever the suffix.</summary>
        public string NameStartingWith(string prefix) =>
            Samples.Select(s => s.Name).FirstOrDefault(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.EndsWith("_total", StringComparison.Ordinal))
            ?? throw new Xunit.Sdk.XunitException($"No counter named {prefix}…_total in the scrape");

        [GeneratedRegex("""^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})?\s+(?<value>\S+)(\s+\d+)?$""")]
        private static partial Regex SampleLine();

        [GeneratedRegex(@"(?<name>[a-zA-Z_][a-zA-Z0-9_]*)=""(?<value>(\\.|[^""\\])*)""")]
        private static partial Regex LabelPair();
    }
}
