using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using NexRelay.Edge.Translation.Anthropic;
using NexRelay.Edge.Translation.Gemini;
using NexRelay.Edge.Translation.OpenAI;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>Each vendor's words, written once and used both ways: what goes out comes back as it was.</summary>
public sealed class VendorVocabularyTests
{
    public static TheoryData<FinishReason> Reasons() => [FinishReason.Stop, FinishReason.Length, FinishReason.ToolCalls, FinishReason.ContentFilter];

    [Theory]
    [MemberData(nameof(Reasons))]
    public void Anthropic_stop_reasons_round_trip(FinishReason reason) =>
        Assert.Equal(reason, AnthropicVocabulary.FinishReasonOf(AnthropicVocabulary.StopReason(reason)));

    [Theory]
    [MemberData(nameof(Reasons))]
    public void OpenAI_finish_reasons_round_trip(FinishReason reason) =>
        Assert.Equal(reason, OpenAIVocabulary.FinishReasonOf(OpenAIVocabulary.FinishReasonName(reason)));

    [Theory]
    [MemberData(nameof(Reasons))]
    public void Gemini_finish_reasons_round_trip(FinishReason reason) =>
        // Gemini reports function calls with STOP: whether calls were seen decides between the two.
        Assert.Equal(reason, GeminiVocabulary.FinishReasonOf(GeminiVocabulary.FinishReasonName(reason), sawCalls: reason == FinishReason.ToolCalls));

    [Theory]
    [InlineData("""{"input_tokens":10,"cache_read_input_tokens":4,"cache_creation_input_tokens":2,"output_tokens":7}""")]
    [InlineData("""{"output_tokens":9}""")]
    [InlineData("""{"input_tokens":null,"output_tokens":3}""")]
    [InlineData("""{"input_tokens":5}""")]
    public void Anthropic_usage_reads_the_same_from_a_response_and_from_a_stream_event(string usage)
    {
        var previous = new Usage { InputTokens = 100, CachedInputTokens = 40, OutputTokens = 1 };
        using var document = JsonDocument.Parse(usage);
        var fromNode = AnthropicVocabulary.ReadUsage(JsonNode.Parse(usage)!.AsObject(), previous)!;
        var fromElement = AnthropicVocabulary.ReadUsage(document.RootElement, previous);
        Assert.Equal((fromNode.InputTokens, fromNode.CachedInputTokens, fromNode.OutputTokens),
            (fromElement.InputTokens, fromElement.CachedInputTokens, fromElement.OutputTokens));
    }

    [Fact]
    public void Anthropic_usage_goes_out_as_it_came_in()
    {
        var usage = AnthropicVocabulary.ReadUsage(10, 4, 6, 2, 7, null);
        Assert.Equal((20, 4, 6, 2, 7), (usage.InputTokens, usage.CachedInputTokens, usage.CacheWriteTokens, usage.CacheWrite1hTokens, usage.OutputTokens));
        var json = AnthropicVocabulary.UsageJson(usage, includeInput: true);
        Assert.Equal(10, (long)json["input_tokens"]!);
        Assert.Equal(4, (long)json["cache_read_input_tokens"]!);
        Assert.Equal(6, (long)json["cache_creation_input_tokens"]!);
        Assert.Equal(7, (long)json["output_tokens"]!);
    }

    [Fact]
    public void Anthropic_cache_writes_are_read_with_their_one_hour_part_from_a_response_and_a_stream_event()
    {
        const string usage = """{"input_tokens":5,"cache_read_input_tokens":100,"cache_creation_input_tokens":12000,"cache_creation":{"ephemeral_5m_input_tokens":2000,"ephemeral_1h_input_tokens":10000},"output_tokens":3}""";
        using var document = JsonDocument.Parse(usage);
        foreach (var read in new[] { AnthropicVocabulary.ReadUsage(JsonNode.Parse(usage)!.AsObject(), null)!, AnthropicVocabulary.ReadUsage(document.RootElement, null) })
        {
            Assert.Equal(new Usage { InputTokens = 12105, CachedInputTokens = 100, CacheWriteTokens = 12000, CacheWrite1hTokens = 10000, OutputTokens = 3 }, read);
        }
        // A message_delta without input keeps message_start's cache figures.
        var start = AnthropicVocabulary.ReadUsage(document.RootElement, null);
        var delta = AnthropicVocabulary.ReadUsage(JsonNode.Parse("""{"output_tokens":40}""")!.AsObject(), start)!;
        Assert.Equal((12000, 10000, 40), (delta.CacheWriteTokens, delta.CacheWrite1hTokens, delta.OutputTokens));
    }

    [Fact]
    public void OpenAI_usage_reads_the_same_from_a_response_and_from_a_stream_chunk()
    {
        const string usage = """{"prompt_tokens":10,"completion_tokens":7,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":3}}""";
        using var document = JsonDocument.Parse(usage);
        var fromNode = OpenAIVocabulary.ReadUsage(JsonNode.Parse(usage))!;
        var fromElement = OpenAIVocabulary.ReadUsage(document.RootElement);
        Assert.Equal((10, 4, 7, 3), (fromNode.InputTokens, fromNode.CachedInputTokens, fromNode.OutputTokens, fromNode.ReasoningTokens));
        Assert.Equal((fromNode.InputTokens, fromNode.CachedInputTokens, fromNode.OutputTokens, fromNode.ReasoningTokens),
            (fromElement.InputTokens, fromElement.CachedInputTokens, fromElement.OutputTokens, fromElement.ReasoningTokens));
    }

    [Fact]
    public void Gemini_usage_goes_out_as_it_came_in()
    {
        var usage = GeminiVocabulary.ReadUsage(JsonNode.Parse("""{"promptTokenCount":10,"cachedContentTokenCount":4,"candidatesTokenCount":5,"thoughtsTokenCount":3}"""))!;
        Assert.Equal((10, 4, 8, 3), (usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens, usage.ReasoningTokens));
        var back = GeminiVocabulary.ReadUsage(GeminiVocabulary.UsageJson(usage))!;
        Assert.Equal((usage.InputTokens, usage.CachedInputTokens, usage.OutputTokens, usage.ReasoningTokens),
            (back.InputTokens, back.CachedInputTokens, back.OutputTokens, back.ReasoningTokens));
    }
}
