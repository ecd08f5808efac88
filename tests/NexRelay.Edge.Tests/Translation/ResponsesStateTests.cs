using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using NexRelay.Edge.Translation.OpenAI;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>Stored responses in the Responses API's terms: what a continuation sends, what is stored, and how items are listed.</summary>
public sealed class ResponsesStateTests
{
    private static readonly IStoredResponses State = FormatRegistry.Client(ClientFormat.OpenAIResponses).StoredResponses!;

    private static JsonElement Element(string json) => JsonDocument.Parse(json).RootElement.Clone();

    [Fact]
    public void Only_the_Responses_format_stores()
    {
        Assert.NotNull(State);
        foreach (var format in new[] { ClientFormat.OpenAIChat, ClientFormat.Anthropic, ClientFormat.Gemini })
        {
            Assert.Null(FormatRegistry.Client(format).StoredResponses);
        }
    }

    [Theory]
    [InlineData("""{"input":"hi"}""", null)]
    [InlineData("""{"input":"hi","previous_response_id":null}""", null)]
    [InlineData("""{"input":"hi","previous_response_id":"resp_abc"}""", "resp_abc")]
    public void Continues_from_names_the_previous_response(string body, string? expected)
    {
        Assert.Equal(expected, State.ContinuesFrom(Json(body)));
    }

    [Theory]
    [InlineData("""{"previous_response_id":""}""")]
    [InlineData("""{"previous_response_id":7}""")]
    [InlineData("""{"previous_response_id":["resp_1"]}""")]
    public void A_bad_previous_response_id_is_refused_by_name(string body)
    {
        var e = Assert.Throws<RequestValidationException>(() => State.ContinuesFrom(Json(body)));
        Assert.Equal("previous_response_id", e.Param);
    }

    [Fact]
    public void Too_long_a_previous_response_id_is_refused()
    {
        var body = new JsonObject { ["previous_response_id"] = new string('r', IStoredResponses.MaxIdLength + 1) };
        Assert.Equal("previous_response_id", Assert.Throws<RequestValidationException>(() => State.ContinuesFrom(body)).Param);
        body["previous_response_id"] = new string('r', IStoredResponses.MaxIdLength);
        Assert.NotNull(State.ContinuesFrom(body));
    }

    [Theory]
    [InlineData("""{}""", true)]
    [InlineData("""{"store":true}""", true)]
    [InlineData("""{"store":null}""", true)]
    [InlineData("""{"store":false}""", false)]
    public void Store_defaults_to_true(string body, bool stores)
    {
        Assert.Equal(stores, State.Stores(Json(body)));
    }

    [Fact]
    public void String_input_is_one_user_message_item()
    {
        var items = State.InputItems(Json("""{"input":"Hello there"}"""));
        var item = Assert.IsType<JsonObject>(Assert.Single(items));
        Assert.Equal("""{"type":"message","role":"user","content":"Hello there"}""", item.ToJsonString());
    }

    [Fact]
    public void Continuing_puts_the_stored_input_and_output_before_the_new_input()
    {
        var body = Json("""{"model":"m","input":"And now?","previous_response_id":"resp_1"}""");
        State.Continue(body,
            Element("""[{"type":"message","role":"user","content":"My name is Ada."}]"""),
            Element("""{"id":"resp_1","object":"response","output":[{"id":"msg_9","type":"message","role":"assistant","content":[{"type":"output_text","text":"Hello Ada."}]},{"id":"fc_1","type":"function_call","call_id":"c1","name":"f","arguments":"{}"}]}"""));
        var input = Assert.IsType<JsonArray>(body["input"]);
        Assert.Equal(4, input.Count);
        Assert.Equal("My name is Ada.", input[0]!["content"]!.GetValue<string>());
        Assert.Equal("msg_9", input[1]!["id"]!.GetValue<string>());
        Assert.Equal("c1", input[2]!["call_id"]!.GetValue<string>());
        Assert.Equal("And now?", input[3]!["content"]!.GetValue<string>());

        // The continued body parses as the whole conversation, in order, for any upstream.
        var request = FormatRegistry.Client(ClientFormat.OpenAIResponses).ParseRequest(body, null, null);
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.User], request.Messages.Select(m => m.Role));
        Assert.Equal(new TextPart("And now?"), Assert.Single(request.Messages[^1].Parts));
        Assert.Contains(request.Messages[1].Parts, p => p is ToolCallPart { Id: "c1" });
    }

    [Fact]
    public void A_stored_response_without_output_continues_with_its_input()
    {
        var body = Json("""{"input":[{"role":"user","content":"two"}]}""");
        State.Continue(body, Element("""[{"role":"user","content":"one"}]"""), Element("""{"id":"resp_1","object":"response","status":"failed"}"""));
        Assert.Equal(["one", "two"], ((JsonArray)body["input"]!).Select(i => i!["content"]!.GetValue<string>()));
    }

    [Fact]
    public void A_non_streamed_answer_is_the_response_object()
    {
        var answer = Encoding.UTF8.GetBytes("""{"id":"resp_1","object":"response","status":"completed","output":[]}""");
        Assert.Equal("resp_1", State.Answered(answer, stream: false)!["id"]!.GetValue<string>());
        Assert.Null(State.Answered("""{"id":"x","object":"chat.completion"}"""u8, stream: false));
        Assert.Null(State.Answered("""{"id":"#"""u8, stream: false));
    }

    [Theory]
    [InlineData("response.completed", "completed")]
    [InlineData("response.incomplete", "incomplete")]
    [InlineData("response.failed", "failed")]
    public void A_stream_is_answered_by_its_terminal_event(string type, string status)
    {
        var sse = NamedSse(
            ("response.created", """{"type":"response.created","sequence_number":0,"response":{"id":"resp_7","object":"response","status":"in_progress","output":[]}}"""),
            ("response.output_text.delta", """{"type":"response.output_text.delta","sequence_number":1,"delta":"Hi"}"""),
            (type, $$$"""{"type":"{{{type}}}","sequence_number":2,"response":{"id":"resp_7","object":"response","status":"{{{status}}}","output":[{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Hi"}]}]}}"""));
        var answered = State.Answered(Encoding.UTF8.GetBytes(sse), stream: true)!;
        Assert.Equal(status, answered["status"]!.GetValue<string>());
        Assert.Single(answered["output"]!.AsArray());
    }

    [Fact]
    public void A_stream_cut_before_its_end_is_not_answered()
    {
        var sse = NamedSse(
            ("response.created", """{"type":"response.created","response":{"id":"resp_7","object":"response","status":"in_progress","output":[]}}"""),
            ("response.output_text.delta", """{"type":"response.output_text.delta","delta":"Hi"}"""));
        Assert.Null(State.Answered(Encoding.UTF8.GetBytes(sse), stream: true));
        Assert.Null(State.Answered(Encoding.UTF8.GetBytes(sse + "event: response.completed\ndata: {\"type\":\"response.compl"), stream: true));
    }

    private static readonly JsonElement StoredInput = Element("""
        [
          {"type":"message","role":"user","content":"one"},
          {"id":"msg_out","type":"message","role":"assistant","content":"two"},
          {"type":"function_call_output","call_id":"c1","output":"three"},
          {"role":"user","content":[{"type":"input_text","text":"four"}]}
        ]
        """);

    [Fact]
    public void Input_items_are_listed_newest_first_with_stable_ids_and_content_lists()
    {
        var page = ResponsesState.ListInputItems("resp_1", StoredInput, 20, ascending: false, after: null);
        var data = page["data"]!.AsArray();
        Assert.Equal(4, data.Count);
        Assert.Equal("four", data[0]!["content"]![0]!["text"]!.GetValue<string>());
        Assert.Equal("msg_out", data[2]!["id"]!.GetValue<string>());
        Assert.Equal("output_text", data[2]!["content"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("input_text", data[3]!["content"]![0]!["type"]!.GetValue<string>());
        Assert.Equal("function_call_output", data[1]!["type"]!.GetValue<string>());
        Assert.StartsWith("item_", data[1]!["id"]!.GetValue<string>());
        Assert.All(data, i => Assert.False(string.IsNullOrEmpty(i!["id"]!.GetValue<string>())));
        Assert.Equal("completed", data[0]!["status"]!.GetValue<string>());
        Assert.False(page["has_more"]!.GetValue<bool>());
        Assert.Equal(data[0]!["id"]!.GetValue<string>(), page["first_id"]!.GetValue<string>());
        Assert.Equal(data[3]!["id"]!.GetValue<string>(), page["last_id"]!.GetValue<string>());

        // The same response lists the same ids again; another response's derived ids differ.
        var again = ResponsesState.ListInputItems("resp_1", StoredInput, 20, ascending: false, after: null)["data"]!.AsArray();
        Assert.Equal(data.Select(i => i!["id"]!.GetValue<string>()), again.Select(i => i!["id"]!.GetValue<string>()));
        var other = ResponsesState.ListInputItems("resp_2", StoredInput, 20, ascending: false, after: null)["data"]!.AsArray();
        Assert.NotEqual(data[0]!["id"]!.GetValue<string>(), other[0]!["id"]!.GetValue<string>());
    }

    [Fact]
    public void Input_items_page_with_after_and_limit_in_either_order()
    {
        var first = ResponsesState.ListInputItems("resp_1", StoredInput, 2, ascending: true, after: null);
        Assert.Equal(["one", "two"], first["data"]!.AsArray().Select(i => i!["content"]![0]!["text"]!.GetValue<string>()));
        Assert.True(first["has_more"]!.GetValue<bool>());
        var second = ResponsesState.ListInputItems("resp_1", StoredInput, 2, ascending: true, after: first["last_id"]!.GetValue<string>());
        Assert.Equal(["function_call_output", "message"], second["data"]!.AsArray().Select(i => i!["type"]!.GetValue<string>()));
        Assert.False(second["has_more"]!.GetValue<bool>());

        var unknown = ResponsesState.ListInputItems("resp_1", StoredInput, 2, ascending: true, after: "msg_nope");
        Assert.Empty(unknown["data"]!.AsArray());
        Assert.Null(unknown["first_id"]);
        Assert.False(unknown["has_more"]!.GetValue<bool>());
    }
}
