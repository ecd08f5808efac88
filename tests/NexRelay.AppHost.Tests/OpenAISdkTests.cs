#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
using System.ClientModel;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;

namespace NexRelay.AppHost.Tests;

/// <summary>The official OpenAI .NET SDK, unchanged, against the running edge — for every upstream kind.</summary>
[Collection(ClusterCollection.Name)]
public sealed class OpenAISdkTests(ClusterFixture cluster)
{
    public static TheoryData<string> Models => new() { "gpt-5.4", "claude-sonnet-4-6", "gemini-2.5-flash" };

    private OpenAIClient Client(string key, string prefix = "api/v1") =>
        new(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(cluster.EdgeUrl, prefix), NetworkTimeout = TimeSpan.FromSeconds(60) });

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Chat_completion_returns_the_simulated_words_and_usage(string model)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var chat = Client(tenant.Key).GetChatClient(model);
        ChatCompletion completion = await chat.CompleteChatAsync(
            [new SystemChatMessage("Be brief."), new UserChatMessage("Say hello to the whole wide world")],
            new ChatCompletionOptions { MaxOutputTokenCount = 5 });

        Assert.Equal(5, completion.Content[0].Text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
        Assert.True(completion.Usage.InputTokenCount > 0);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Streamed_chat_completion_delivers_every_word_and_usage(string model)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var chat = Client(tenant.Key, "v1").GetChatClient(model);
        var text = new System.Text.StringBuilder();
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage("Stream a few words please")],
            new ChatCompletionOptions { MaxOutputTokenCount = 7 }))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            usage = update.Usage ?? usage;
        }
        Assert.Equal(7, text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.NotNull(usage);
        Assert.Equal(7, usage!.OutputTokenCount);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Responses_api_answers_through_every_upstream(string model)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var responses = Client(tenant.Key).GetResponsesClient();
        ResponseResult result = await responses.CreateResponseAsync(new CreateResponseOptions
        {
            Model = model,
            Instructions = "Answer briefly.",
            MaxOutputTokenCount = 6,
            InputItems = { ResponseItem.CreateUserMessageItem("What is a gateway?") },
        });
        Assert.Equal(6, result.GetOutputText().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(6, result.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Streamed_responses_end_with_a_final_response_and_usage()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var responses = Client(tenant.Key).GetResponsesClient();
        var text = new System.Text.StringBuilder();
        ResponseResult? completed = null;
        await foreach (var update in await responses.CreateResponseStreamingAsync(new CreateResponseOptions
        {
            Model = "claude-sonnet-4-6",
            MaxOutputTokenCount = 4,
            InputItems = { ResponseItem.CreateUserMessageItem("Stream please") },
            StreamingEnabled = true,
        }))
        {
            if (update is StreamingResponseOutputTextDeltaUpdate delta) text.Append(delta.Delta);
            // A response cut by its output limit ends with response.incomplete, as OpenAI's does.
            if (update is StreamingResponseCompletedUpdate done) completed = done.Response;
            if (update is StreamingResponseIncompleteUpdate incomplete) completed = incomplete.Response;
        }
        Assert.Equal(4, text.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.NotNull(completed);
        Assert.Equal(4, completed!.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Models_are_listed_in_openai_shape()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var models = (await Client(tenant.Key).GetOpenAIModelClient().GetModelsAsync()).Value;
        var ids = models.Select(m => m.Id).ToList();
        Assert.Contains("gpt-5.4", ids);
        Assert.Contains("claude-sonnet-4-6", ids);
        Assert.Contains("gemini-2.5-flash", ids);
    }

    [Fact]
    public async Task Unknown_key_raises_the_sdks_401_error()
    {
        var chat = Client("nrk_" + new string('a', 43)).GetChatClient("gpt-5.4");
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(401, ex.Status);
        Assert.Contains("Invalid API key", ex.Message);
    }

    [Fact]
    public async Task Unknown_model_raises_the_sdks_404_error()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var chat = Client(tenant.Key).GetChatClient("no-such-model");
        var ex = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(404, ex.Status);
        Assert.Contains("no-such-model", ex.Message);
    }
}
