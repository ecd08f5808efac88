using System.Text;
using Anthropic;
using Anthropic.Models.Messages;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Sdk;

/// <summary>The official Anthropic .NET SDK, with response validation on, reads the simulator's output.</summary>
public sealed class AnthropicSdkTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    private AnthropicClient Client => new()
    {
        ApiKey = "sk-ant-test",
        BaseUrl = sim.BaseAddress.ToString().TrimEnd('/'),
        ResponseValidation = true,
        MaxRetries = 0,
    };

    private static MessageCreateParams Params(string text, long maxTokens, bool withTool = false) => new()
    {
        Model = "claude-sonnet-4-5",
        MaxTokens = maxTokens,
        Messages = [new UserMessageParam { Content = text }],
        Tools = withTool ? [new Tool { Name = "get_weather", InputSchema = new InputSchema { Properties = new Dictionary<string, System.Text.Json.JsonElement>() } }] : null,
    };

    [Fact]
    public async Task Message_parses_with_text_stop_reason_and_usage()
    {
        var message = await Client.Messages.Create(Params("hello there", 5));

        Assert.True(message.Content[0].TryPickText(out var text));
        Assert.Equal(Vocabulary.TextString(5), text.Text);
        Assert.Equal(StopReason.MaxTokens, message.StopReason!.Value());
        Assert.Equal(2, message.Usage.InputTokens);
        Assert.Equal(5, message.Usage.OutputTokens);
        Assert.Equal(0, message.Usage.CacheReadInputTokens);
    }

    [Fact]
    public async Task Stream_parses_with_text_stop_reason_and_usage()
    {
        var text = new StringBuilder();
        long? outputTokens = null;
        long? inputTokens = null;
        StopReason? stop = null;
        await foreach (var streamEvent in Client.Messages.CreateStreaming(Params("hello there", 1024)))
        {
            if (streamEvent.TryPickStart(out var start)) inputTokens = start.Message.Usage.InputTokens;
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickText(out var piece)) text.Append(piece.Text);
            if (streamEvent.TryPickDelta(out var messageDelta))
            {
                outputTokens = messageDelta.Usage.OutputTokens;
                stop = messageDelta.Delta.StopReason!.Value();
            }
        }

        Assert.Equal(Vocabulary.TextString(64), text.ToString());
        Assert.Equal(2, inputTokens);
        Assert.Equal(64, outputTokens);
        Assert.Equal(StopReason.EndTurn, stop);
    }

    [Fact]
    public async Task Tool_use_parses()
    {
        var message = await Client.Messages.Create(Params("use_tool", 1024, withTool: true));

        Assert.Equal(StopReason.ToolUse, message.StopReason!.Value());
        Assert.True(message.Content[0].TryPickToolUse(out var toolUse));
        Assert.Equal("get_weather", toolUse.Name);
        Assert.Equal("Paris", toolUse.Input["city"].GetString());
        Assert.Equal(3, toolUse.Input["days"].GetInt32());
    }

    [Fact]
    public async Task Tool_use_stream_reassembles_the_input_json()
    {
        var json = new StringBuilder();
        await foreach (var streamEvent in Client.Messages.CreateStreaming(Params("use_tool", 1024, withTool: true)))
        {
            if (streamEvent.TryPickContentBlockDelta(out var delta) && delta.Delta.TryPickInputJson(out var piece)) json.Append(piece.PartialJson);
        }
        Assert.Equal("""{"city":"Paris","days":3}""", json.ToString());
    }
}
