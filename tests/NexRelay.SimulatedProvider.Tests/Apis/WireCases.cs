using System.Text.Json;

namespace NexRelay.SimulatedProvider.Tests.Apis;

/// <summary>
/// The same scenario in each wire format, so knob tests run once per format. <see cref="IsToken"/> marks an event with
/// streamed text; <see cref="IsClosing"/> the first event after the text (finish reason and usage follow it);
/// <see cref="CarriesUsage"/> an event with the final usage; the usage readers give each format's figures in one shape.
/// </summary>
public sealed record WireCase(
    string Name,
    string Path,
    string StreamPath,
    Func<int, bool, string> Body,
    (string Name, string Value) Key,
    Func<SseEvent, bool> IsToken,
    Func<SseEvent, bool> IsClosing,
    Func<List<SseEvent>, bool> HasFinalEvent,
    Func<SseEvent, bool> CarriesUsage,
    Func<JsonElement, bool> BodyHasUsage,
    Action<JsonElement, int> AssertErrorShape,
    Func<JsonElement, ReportedUsage> BodyUsage,
    Func<List<SseEvent>, ReportedUsage> StreamUsage)
{
    public static readonly string[] Names = ["openai-chat", "openai-responses", "anthropic", "gemini"];

    public static TheoryData<string> All => new(Names);

    /// <summary>The text every <see cref="Body"/> carries, where a test can put a prompt directive.</summary>
    public const string Prompt = "count my words please";

    /// <summary>Input words in <see cref="Prompt"/>.</summary>
    public const int PromptWords = 4;

    public int StreamedTokens(List<SseEvent> events) => events.Count(IsToken);

    /// <summary>A body whose prompt also carries <paramref name="directive"/> (one more input word per space-free directive).</summary>
    public string BodyWith(string directive, int limit, bool stream) => Body(limit, stream).Replace(Prompt, Prompt + " " + directive);

    private static long Long(JsonElement obj, string name) => obj.TryGetProperty(name, out var value) ? value.GetInt64() : 0;

    private static ReportedUsage OpenAIChatUsage(JsonElement u) => new(
        Long(u, "prompt_tokens"), Long(u, "completion_tokens"), Long(u.GetProperty("prompt_tokens_details"), "cached_tokens"),
        Long(u.GetProperty("completion_tokens_details"), "reasoning_tokens"), Long(u, "total_tokens"));

    private static ReportedUsage ResponsesUsage(JsonElement u) => new(
        Long(u, "input_tokens"), Long(u, "output_tokens"), Long(u.GetProperty("input_tokens_details"), "cached_tokens"),
        Long(u.GetProperty("output_tokens_details"), "reasoning_tokens"), Long(u, "total_tokens"));

    // Anthropic has neither a reasoning figure (thinking is output) nor a total.
    private static ReportedUsage AnthropicUsage(JsonElement u) => new(
        Long(u, "input_tokens"), Long(u, "output_tokens"), Long(u, "cache_read_input_tokens"), null, null);

    // Gemini's output here is candidatesTokenCount; thoughts are apart (and in the total).
    private static ReportedUsage GeminiUsage(JsonElement u) => new(
        Long(u, "promptTokenCount"), Long(u, "candidatesTokenCount"), Long(u, "cachedContentTokenCount"), Long(u, "thoughtsTokenCount"), Long(u, "totalTokenCount"));

    public static WireCase Get(string name) => name switch
    {
        "openai-chat" => new WireCase(name, "/v1/chat/completions", "/v1/chat/completions",
            (limit, stream) => $$"""{"model":"m","max_tokens":{{limit}},"stream":{{(stream ? "true" : "false")}},"stream_options":{{(stream ? """{"include_usage":true}""" : "null")}},"messages":[{"role":"user","content":"count my words please"}]}""",
            ("Authorization", "Bearer sk-test"),
            e => e.Data != "[DONE]" && e.Json.GetProperty("choices") is { } c && c.GetArrayLength() > 0
                && c[0].GetProperty("delta").TryGetProperty("content", out var t) && t.GetString() is { Length: > 0 },
            e => e.Data != "[DONE]" && e.Json.GetProperty("choices") is { } c && c.GetArrayLength() > 0
                && c[0].GetProperty("finish_reason").ValueKind == JsonValueKind.String,
            events => events.Any(e => e.Data == "[DONE]"),
            e => e.Data != "[DONE]" && e.Json.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object,
            body => body.TryGetProperty("usage", out _),
            (body, status) =>
            {
                var error = body.GetProperty("error");
                Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
                Assert.Equal(status >= 500 ? "server_error" : status == 429 ? "requests" : "invalid_request_error", error.GetProperty("type").GetString());
                Assert.True(error.TryGetProperty("param", out _));
                Assert.True(error.TryGetProperty("code", out _));
            },
            body => OpenAIChatUsage(body.GetProperty("usage")),
            events => OpenAIChatUsage(events.Last(e => e.Data != "[DONE]" && e.Json.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object).Json.GetProperty("usage"))),
        "openai-responses" => new WireCase(name, "/v1/responses", "/v1/responses",
            (limit, stream) => $$"""{"model":"m","max_output_tokens":{{limit}},"stream":{{(stream ? "true" : "false")}},"input":"count my words please"}""",
            ("Authorization", "Bearer sk-test"),
            e => e.Name == "response.output_text.delta",
            e => e.Name == "response.output_text.done",
            events => events.Any(e => e.Name is "response.completed" or "response.incomplete"),
            e => e.Json.TryGetProperty("response", out var r) && r.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object,
            body => body.TryGetProperty("usage", out _),
            (body, status) =>
            {
                var error = body.GetProperty("error");
                Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
                Assert.True(error.TryGetProperty("type", out _));
            },
            body => ResponsesUsage(body.GetProperty("usage")),
            events => ResponsesUsage(events.Single(e => e.Name is "response.completed" or "response.incomplete").Json.GetProperty("response").GetProperty("usage"))),
        "anthropic" => new WireCase(name, "/v1/messages", "/v1/messages",
            (limit, stream) => $$"""{"model":"m","max_tokens":{{limit}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"count my words please"}]}""",
            ("x-api-key", "sk-ant-test"),
            e => e.Name == "content_block_delta",
            e => e.Name == "content_block_stop",
            events => events.Any(e => e.Name is "message_delta" or "message_stop"),
            // The final usage is on message_delta (message_start carries the input count as Anthropic's does).
            e => e.Name == "message_delta" && e.Json.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object,
            body => body.TryGetProperty("usage", out _),
            (body, status) =>
            {
                Assert.Equal("error", body.GetProperty("type").GetString());
                var expected = status switch { 429 => "rate_limit_error", 529 => "overloaded_error", >= 500 => "api_error", _ => "invalid_request_error" };
                Assert.Equal(expected, body.GetProperty("error").GetProperty("type").GetString());
                Assert.False(string.IsNullOrEmpty(body.GetProperty("error").GetProperty("message").GetString()));
            },
            body => AnthropicUsage(body.GetProperty("usage")),
            events => AnthropicUsage(events.Single(e => e.Name == "message_delta").Json.GetProperty("usage"))),
        "gemini" => new WireCase(name, "/v1beta/models/gemini-2.5-flash:generateContent", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            (limit, _) => $$"""{"contents":[{"role":"user","parts":[{"text":"count my words please"}]}],"generationConfig":{"maxOutputTokens":{{limit}} } }""",
            ("x-goog-api-key", "AIza-test"),
            e => e.Json.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString() is { Length: > 0 },
            e => e.Json.GetProperty("candidates")[0].TryGetProperty("finishReason", out _),
            events => events.Any(e => e.Json.GetProperty("candidates")[0].TryGetProperty("finishReason", out _)),
            // Every chunk carries the running usage; the final figures come with the finish reason.
            e => e.Json.TryGetProperty("usageMetadata", out _) && e.Json.GetProperty("candidates")[0].TryGetProperty("finishReason", out _),
            body => body.TryGetProperty("usageMetadata", out _),
            (body, status) =>
            {
                var error = body.GetProperty("error");
                Assert.Equal(status, error.GetProperty("code").GetInt32());
                var expected = status switch { 429 => "RESOURCE_EXHAUSTED", 500 => "INTERNAL", 503 => "UNAVAILABLE", _ => "INVALID_ARGUMENT" };
                Assert.Equal(expected, error.GetProperty("status").GetString());
                Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
            },
            body => GeminiUsage(body.GetProperty("usageMetadata")),
            events => GeminiUsage(events[^1].Json.GetProperty("usageMetadata"))),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}

/// <summary>Usage as a format reported it: its input, output, cached and reasoning fields and its total (null where it has none).</summary>
public sealed record ReportedUsage(long Input, long Output, long Cached, long? Reasoning, long? Total);
