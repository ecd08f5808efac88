using System.Text.Json;

namespace NexRelay.SimulatedProvider.Tests.Apis;

/// <summary>The same scenario in each wire format, so knob tests run once per format.</summary>
public sealed record WireCase(
    string Name,
    string Path,
    string StreamPath,
    Func<int, bool, string> Body,
    (string Name, string Value) Key,
    Func<List<SseEvent>, int> StreamedTokens,
    Func<List<SseEvent>, bool> HasFinalEvent,
    Func<SseEvent, bool> CarriesUsage,
    Func<JsonElement, bool> BodyHasUsage,
    Action<JsonElement, int> AssertErrorShape)
{
    public static readonly string[] Names = ["openai-chat", "openai-responses", "anthropic", "gemini"];

    public static TheoryData<string> All => new(Names);

    public static WireCase Get(string name) => name switch
    {
        "openai-chat" => new WireCase(name, "/v1/chat/completions", "/v1/chat/completions",
            (limit, stream) => $$"""{"model":"m","max_tokens":{{limit}},"stream":{{(stream ? "true" : "false")}},"stream_options":{{(stream ? """{"include_usage":true}""" : "null")}},"messages":[{"role":"user","content":"count my words please"}]}""",
            ("Authorization", "Bearer sk-test"),
            events => events.Count(e => e.Data != "[DONE]" && e.Json.GetProperty("choices") is { } c && c.GetArrayLength() > 0
                && c[0].GetProperty("delta").TryGetProperty("content", out var t) && t.GetString() is { Length: > 0 }),
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
            }),
        "openai-responses" => new WireCase(name, "/v1/responses", "/v1/responses",
            (limit, stream) => $$"""{"model":"m","max_output_tokens":{{limit}},"stream":{{(stream ? "true" : "false")}},"input":"count my words please"}""",
            ("Authorization", "Bearer sk-test"),
            events => events.Count(e => e.Name == "response.output_text.delta"),
            events => events.Any(e => e.Name is "response.completed" or "response.incomplete"),
            e => e.Json.TryGetProperty("response", out var r) && r.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object,
            body => body.TryGetProperty("usage", out _),
            (body, status) =>
            {
                var error = body.GetProperty("error");
                Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
                Assert.True(error.TryGetProperty("type", out _));
            }),
        "anthropic" => new WireCase(name, "/v1/messages", "/v1/messages",
            (limit, stream) => $$"""{"model":"m","max_tokens":{{limit}},"stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"count my words please"}]}""",
            ("x-api-key", "sk-ant-test"),
            events => events.Count(e => e.Name == "content_block_delta"),
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
            }),
        "gemini" => new WireCase(name, "/v1beta/models/gemini-2.5-flash:generateContent", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse",
            (limit, _) => $$"""{"contents":[{"role":"user","parts":[{"text":"count my words please"}]}],"generationConfig":{"maxOutputTokens":{{limit}} } }""",
            ("x-goog-api-key", "AIza-test"),
            events => events.Count(e => e.Json.GetProperty("candidates")[0].GetProperty("content").GetProperty("parts")[0].GetProperty("text").GetString() is { Length: > 0 }),
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
            }),
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };
}
