using System.ClientModel;
using System.ClientModel.Primitives;
using System.Text;
using NexRelay.SimulatedProvider.Simulation;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Responses;

namespace NexRelay.SimulatedProvider.Tests.Sdk;

/// <summary>The official OpenAI .NET SDK reads the simulator's chat and Responses output.</summary>
public sealed class OpenAISdkTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private OpenAIClient Client => CreateClient();

    private OpenAIClient CreateClient(params (string Name, string Value)[] headers)
    {
        var options = new OpenAIClientOptions { Endpoint = new Uri(sim.BaseAddress, "/v1"), NetworkTimeout = TimeSpan.FromSeconds(30), RetryPolicy = new ClientRetryPolicy(0) };
        if (headers.Length > 0) options.AddPolicy(new HeaderPolicy(headers), PipelinePosition.PerCall);
        return new OpenAIClient(new ApiKeyCredential("sk-test"), options);
    }

    private static readonly ChatTool WeatherTool = ChatTool.CreateFunctionTool("get_weather", "Weather for a city",
        BinaryData.FromString("""{"type":"object","properties":{"city":{"type":"string"},"days":{"type":"integer"}}}"""));

    [Fact]
    public async Task Chat_completion_parses_with_text_finish_reason_and_usage()
    {
        ChatCompletion completion = await Client.GetChatClient("gpt-4o-mini").CompleteChatAsync(
            [new SystemChatMessage("be brief"), new UserChatMessage("hello there")], new ChatCompletionOptions { MaxOutputTokenCount = 5 });

        Assert.Equal(Vocabulary.TextString(5), completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
        Assert.Equal("gpt-4o-mini", completion.Model);
        Assert.Equal(4, completion.Usage.InputTokenCount);
        Assert.Equal(5, completion.Usage.OutputTokenCount);
        Assert.Equal(9, completion.Usage.TotalTokenCount);
        Assert.Equal(0, completion.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(0, completion.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task Chat_stream_parses_with_text_finish_reason_and_usage()
    {
        var text = new StringBuilder();
        ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        await foreach (var update in Client.GetChatClient("gpt-4o-mini").CompleteChatStreamingAsync([new UserChatMessage("hello there")]))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }

        Assert.Equal(Vocabulary.TextString(64), text.ToString());
        Assert.Equal(ChatFinishReason.Stop, finish);
        Assert.NotNull(usage);
        Assert.Equal(2, usage.InputTokenCount);
        Assert.Equal(64, usage.OutputTokenCount);
    }

    [Fact]
    public async Task Chat_tool_call_parses()
    {
        ChatCompletion completion = await Client.GetChatClient("gpt-4o-mini").CompleteChatAsync(
            [new UserChatMessage("use_tool for Paris")], new ChatCompletionOptions { Tools = { WeatherTool } });

        Assert.Equal(ChatFinishReason.ToolCalls, completion.FinishReason);
        var call = Assert.Single(completion.ToolCalls);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"city":"Paris","days":3}""", call.FunctionArguments.ToString());
        Assert.Equal(10, completion.Usage.OutputTokenCount);
    }

    [Fact]
    public async Task Chat_tool_call_stream_reassembles_the_arguments()
    {
        var arguments = new StringBuilder();
        string? name = null;
        ChatFinishReason? finish = null;
        await foreach (var update in Client.GetChatClient("gpt-4o-mini").CompleteChatStreamingAsync(
            [new UserChatMessage("use_tool")], new ChatCompletionOptions { Tools = { WeatherTool } }))
        {
            foreach (var call in update.ToolCallUpdates)
            {
                name ??= call.FunctionName;
                if (call.FunctionArgumentsUpdate is { } piece && !piece.ToMemory().IsEmpty) arguments.Append(piece.ToString());
            }
            finish ??= update.FinishReason;
        }

        Assert.Equal("get_weather", name);
        Assert.Equal("""{"city":"Paris","days":3}""", arguments.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, finish);
    }

    [Fact]
    public async Task Chat_error_parses_as_a_client_result_exception_with_the_status()
    {
        var chat = CreateClient(("x-sim-fail-status", "429")).GetChatClient("gpt-4o-mini");
        var error = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage("hi")]));
        Assert.Equal(429, error.Status);
        Assert.Contains("Simulated upstream failure", error.Message);
    }

    [Fact]
    public async Task Response_parses_with_output_text_status_and_usage()
    {
        var options = new CreateResponseOptions { Model = "gpt-4.1", MaxOutputTokenCount = 5, Instructions = "be brief" };
        options.InputItems.Add(ResponseItem.CreateUserMessageItem("hello there"));
        ResponseResult response = await Client.GetResponsesClient().CreateResponseAsync(options);

        Assert.Equal(Vocabulary.TextString(5), response.GetOutputText());
        Assert.Equal(ResponseStatus.Incomplete, response.Status);
        Assert.Equal(ResponseIncompleteStatusReason.MaxOutputTokens, response.IncompleteStatusDetails.Reason);
        Assert.Equal(4, response.Usage.InputTokenCount);
        Assert.Equal(5, response.Usage.OutputTokenCount);
        Assert.Equal(9, response.Usage.TotalTokenCount);
        Assert.Equal(0, response.Usage.InputTokenDetails.CachedTokenCount);
        Assert.Equal(0, response.Usage.OutputTokenDetails.ReasoningTokenCount);
    }

    [Fact]
    public async Task Response_stream_parses_deltas_and_the_completed_response()
    {
        var options = new CreateResponseOptions { Model = "gpt-4.1", StreamingEnabled = true };
        options.InputItems.Add(ResponseItem.CreateUserMessageItem("hello there"));
        var text = new StringBuilder();
        ResponseResult? completed = null;
        var sequence = new List<int>();
        await foreach (var update in await Client.GetResponsesClient().CreateResponseStreamingAsync(options))
        {
            sequence.Add(update.SequenceNumber);
            if (update is StreamingResponseOutputTextDeltaUpdate delta) text.Append(delta.Delta);
            if (update is StreamingResponseCompletedUpdate done) completed = done.Response;
        }

        Assert.Equal(Vocabulary.TextString(64), text.ToString());
        Assert.NotNull(completed);
        Assert.Equal(ResponseStatus.Completed, completed.Status);
        Assert.Equal(64, completed.Usage.OutputTokenCount);
        Assert.Equal(Vocabulary.TextString(64), completed.GetOutputText());
        Assert.Equal(Enumerable.Range(0, sequence.Count), sequence);
    }

    [Fact]
    public async Task Response_stream_cut_by_the_limit_ends_with_an_incomplete_update()
    {
        var options = new CreateResponseOptions { Model = "gpt-4.1", StreamingEnabled = true, MaxOutputTokenCount = 3 };
        options.InputItems.Add(ResponseItem.CreateUserMessageItem("hello there"));
        ResponseResult? incomplete = null;
        await foreach (var update in await Client.GetResponsesClient().CreateResponseStreamingAsync(options))
        {
            if (update is StreamingResponseIncompleteUpdate done) incomplete = done.Response;
        }

        Assert.NotNull(incomplete);
        Assert.Equal(ResponseStatus.Incomplete, incomplete.Status);
        Assert.Equal(ResponseIncompleteStatusReason.MaxOutputTokens, incomplete.IncompleteStatusDetails.Reason);
        Assert.Equal(3, incomplete.Usage.OutputTokenCount);
        Assert.Equal(Vocabulary.TextString(3), incomplete.GetOutputText());
    }

    [Fact]
    public async Task Response_tool_call_stream_parses_the_function_call()
    {
        var options = new CreateResponseOptions { Model = "gpt-4.1", StreamingEnabled = true };
        options.Tools.Add(ResponseTool.CreateFunctionTool("get_weather", BinaryData.FromString("""{"type":"object","properties":{}}"""), strictModeEnabled: false));
        options.InputItems.Add(ResponseItem.CreateUserMessageItem("use_tool"));
        var arguments = new StringBuilder();
        FunctionCallResponseItem? call = null;
        await foreach (var update in await Client.GetResponsesClient().CreateResponseStreamingAsync(options))
        {
            if (update is StreamingResponseFunctionCallArgumentsDeltaUpdate delta) arguments.Append(delta.Delta.ToString());
            if (update is StreamingResponseOutputItemDoneUpdate { Item: FunctionCallResponseItem item }) call = item;
        }

        Assert.Equal("""{"city":"Paris","days":3}""", arguments.ToString());
        Assert.NotNull(call);
        Assert.Equal("get_weather", call.FunctionName);
        Assert.Equal("""{"city":"Paris","days":3}""", call.FunctionArguments.ToString());
        Assert.StartsWith("call_", call.CallId);
    }
}

internal sealed class HeaderPolicy((string Name, string Value)[] headers) : PipelinePolicy
{
    public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        foreach (var (name, value) in headers) message.Request.Headers.Set(name, value);
        ProcessNext(message, pipeline, currentIndex);
    }

    public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
    {
        foreach (var (name, value) in headers) message.Request.Headers.Set(name, value);
        return ProcessNextAsync(message, pipeline, currentIndex);
    }
}
