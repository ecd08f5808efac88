using Anthropic;
using Anthropic.Core;
using Anthropic.Exceptions;
using Anthropic.Models.Messages;

namespace NexRelay.AppHost.Tests;

/// <summary>The official Anthropic .NET SDK, unchanged, against the running edge — for every upstream kind.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AnthropicSdkTests(ClusterFixture cluster)
{
    public static TheoryData<string> Models => new() { "claude-sonnet-4-6", "gpt-5.4", "gemini-2.5-flash" };

    private AnthropicClient Client(string key) => new(new ClientOptions { ApiKey = key, BaseUrl = cluster.EdgeUrl.ToString().TrimEnd('/'), MaxRetries = 0 });

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Message_returns_the_simulated_words_and_usage(string model)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var message = await Client(tenant.Key).Messages.Create(new MessageCreateParams
        {
            Model = model,
            MaxTokens = 5,
            System = "Be brief.",
            Messages = [new UserMessageParam { Content = "Say hello to the whole wide world" }],
        });
        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(5, text!.Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(5, message.Usage.OutputTokens);
        Assert.True(message.Usage.InputTokens > 0);
        Assert.Equal("max_tokens", message.StopReason!.Raw());
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Streamed_message_delivers_every_word_and_final_usage(string model)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var text = new System.Text.StringBuilder();
        long? outputTokens = null;
        var sawStop = false;
        await foreach (var e in Client(tenant.Key).Messages.CreateStreaming(new MessageCreateParams
        {
            Model = model,
            MaxTokens = 8,
            Messages = [new UserMessageParam { Content = "Stream a few words please" }],
        }))
        {
            if (e.TryPickContentBlockDelta(out var delta) && delta!.Delta.TryPickText(out var t)) text.Append(t!.Text);
            if (e.TryPickDelta(out var md)) outputTokens = md!.Usage.OutputTokens;
            if (e.TryPickStop(out _)) sawStop = true;
        }
        Assert.Equal(8, text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(8, outputTokens);
        Assert.True(sawStop);
    }

    [Fact]
    public async Task Unknown_key_raises_the_sdks_authentication_error()
    {
        var ex = await Assert.ThrowsAsync<AnthropicUnauthorizedException>(() => Client("nrk_" + new string('b', 43)).Messages.Create(new MessageCreateParams
        {
            Model = "claude-sonnet-4-6",
            MaxTokens = 5,
            Messages = [new UserMessageParam { Content = "hi" }],
        }));
        Assert.Contains("authentication_error", ex.ResponseBody);
    }

    [Fact]
    public async Task Missing_max_tokens_is_a_400_in_anthropic_shape()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        using var http = new HttpClient { BaseAddress = cluster.EdgeUrl };
        http.DefaultRequestHeaders.Add("x-api-key", tenant.Key);
        using var response = await http.PostAsync("/v1/messages", new StringContent("""{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"hi"}]""",
            System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(400, (int)response.StatusCode);
        var body = System.Text.Json.Nodes.JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.Equal("error", body["type"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", body["error"]!["type"]!.GetValue<string>());
    }
}
