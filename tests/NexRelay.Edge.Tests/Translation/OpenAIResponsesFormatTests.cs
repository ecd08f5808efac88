using System.Text.Json.Nodes;
using NexRelay.Edge.Translation;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

public sealed class OpenAIResponsesFormatTests
{
    private static readonly IClientFormat Format = FormatRegistry.Client(ClientFormat.OpenAIResponses);

    [Fact]
    public void Is_native_to_OpenAI()
    {
        Assert.Equal(UpstreamKind.OpenAI, Format.NativeUpstream);
    }

    [Fact]
    public void String_input_and_instructions_parse()
    {
        var r = Format.ParseRequest(Json("""{"model":"gpt-5","input":"Hello","instructions":"Be kind.","store":true,"max_output_tokens":50}"""), null, null);
        Assert.Equal([new TextPart("Be kind.")], r.System);
        Assert.Equal(new TextPart("Hello"), Assert.Single(Assert.Single(r.Messages).Parts));
        Assert.Equal(ChatRole.User, r.Messages[0].Role);
        Assert.Equal(50, r.MaxOutputTokens);
    }

    [Fact]
    public void Item_list_with_images_function_calls_and_outputs_parses()
    {
        var r = Format.ParseRequest(Json("""
            {
              "model": "gpt-5",
              "input": [
                {"role": "developer", "content": "Use tools."},
                {"type": "message", "role": "user", "content": [
                  {"type": "input_text", "text": "Look:"},
                  {"type": "input_image", "image_url": "data:image/jpeg;base64,/9j/AA==", "detail": "auto"}
                ]},
                {"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "Thinking..."}]},
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Checking."}]},
                {"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "lookup", "arguments": "{\"q\":1}"},
                {"type": "function_call_output", "call_id": "call_1", "output": "found"},
                {"role": "user", "content": "And?"}
              ],
              "tools": [{"type": "function", "name": "lookup", "description": "Find", "parameters": {"type": "object"}, "strict": true}],
              "tool_choice": {"type": "function", "name": "lookup"},
              "text": {"format": {"type": "json_schema", "name": "out", "schema": {"type": "object"}, "strict": true}},
              "reasoning": {"effort": "low", "summary": "auto"},
              "temperature": 0.5,
              "stream": true
            }
            """), null, null);

        Assert.Equal([new TextPart("Use tools.")], r.System);
        Assert.Equal([ChatRole.User, ChatRole.Assistant, ChatRole.Tool, ChatRole.User], r.Messages.Select(m => m.Role));
        Assert.Equal(new ImagePart(null, "image/jpeg", "/9j/AA=="), r.Messages[0].Parts[1]);
        Assert.Equal([new ReasoningPart("Thinking..."), new TextPart("Checking."), new ToolCallPart("call_1", "lookup", """{"q":1}""")], r.Messages[1].Parts);
        Assert.Equal(new ToolResultPart("call_1", "lookup", "found"), Assert.Single(r.Messages[2].Parts));
        Assert.Equal(new ToolChoice(ToolChoiceKind.Tool, "lookup"), r.ToolChoice);
        Assert.Equal(("out", ResponseFormatKind.JsonSchema), (r.ResponseFormat!.Name, r.ResponseFormat.Kind));
        Assert.Equal("low", r.Reasoning!.Effort);
        Assert.Equal(0.5, r.Temperature);
        Assert.True(r.Stream);
    }

    [Theory]
    [InlineData("""{"model":"m","input":"hi","previous_response_id":5}""", "previous_response_id")]
    [InlineData("""{"model":"m","input":"hi","previous_response_id":""}""", "previous_response_id")]
    [InlineData("""{"model":"m","input":"hi","conversation":"conv_1"}""", "conversation")]
    [InlineData("""{"model":"m"}""", "input")]
    [InlineData("""{"input":"hi"}""", "model")]
    [InlineData("""{"model":"m","input":7}""", "input")]
    [InlineData("""{"model":"m","input":[]}""", "input")]
    [InlineData("""{"model":"m","input":[{"role":"robot","content":"x"}]}""", "input[0].role")]
    [InlineData("""{"model":"m","input":[{"type":"function_call","name":"f"}]}""", "input[0].call_id")]
    [InlineData("""{"model":"m","input":[{"type":"function_call_output","call_id":"c"}]}""", "input[0].output")]
    [InlineData("""{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}""", "input[0].type")]
    [InlineData("""{"model":"m","input":[{"type":"telepathy"}]}""", "input[0].type")]
    [InlineData("""{"model":"m","input":[{"type":"custom_tool_call","call_id":"c","name":"p"}]}""", "input[0].input")]
    [InlineData("""{"model":"m","input":"hi","tools":[{"type":"namespace","name":"n","tools":[{"type":"web_search"}]}]}""", "tools[0].tools[0].type")]
    [InlineData("""{"model":"m","input":"hi","tools":[{"type":"custom"}]}""", "tools[0].name")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_file"}]}]}""", "input[0].content[0].type")]
    [InlineData("""{"model":"m","input":"hi","text":{"format":{"type":"json_schema"}}}""", "text.format.name")]
    [InlineData("""{"model":"m","input":"hi","max_output_tokens":"many"}""", "max_output_tokens")]
    [InlineData("""{"model":"m","input":"hi","store":"yes"}""", "store")]
    public void Invalid_requests_name_the_parameter(string body, string param)
    {
        var e = Assert.Throws<RequestValidationException>(() => Format.ParseRequest(Json(body), null, null));
        Assert.Equal(param, e.Param);
    }

    [Fact]
    public void A_continued_request_echoes_its_previous_response_id_and_store()
    {
        var r = Format.ParseRequest(Json("""{"model":"m","input":"hi","previous_response_id":"resp_1"}"""), null, null);
        Assert.Equal("resp_1", r.Echo!["previous_response_id"]!.GetValue<string>());
        Assert.True(r.Echo["store"]!.GetValue<bool>());
        var unstored = Format.ParseRequest(Json("""{"model":"m","input":"hi","store":false}"""), null, null);
        Assert.False(unstored.Echo!["store"]!.GetValue<bool>());
        Assert.False(unstored.Echo.ContainsKey("previous_response_id"));
    }

    [Fact]
    public void Pass_through_sends_the_continued_input_not_the_previous_response_id()
    {
        var body = Json("""{"model":"m","input":[{"role":"user","content":"hi"}],"previous_response_id":"resp_1","store":false}""");
        Format.ApplyPassthroughEdits(body, "up", 10, stream: false);
        Assert.False(body.ContainsKey("previous_response_id"));
        Assert.False(body["store"]!.GetValue<bool>());
        Assert.Equal("up", body["model"]!.GetValue<string>());
    }

    [Fact]
    public void Response_has_items_in_order_with_usage()
    {
        var json = Wire(Format.WriteResponse(new ChatResponse
        {
            Id = "chatcmpl-9",
            Model = "x",
            Output = [new ReasoningPart("hmm"), new TextPart("A"), new TextPart("B"), new ToolCallPart("call_1", "f", "{}")],
            FinishReason = FinishReason.ToolCalls,
            Usage = new Usage { InputTokens = 10, CachedInputTokens = 2, OutputTokens = 5, ReasoningTokens = 1 },
        }, "public"));

        Assert.StartsWith("resp_", (string)json["id"]!);
        Assert.Equal(("response", "completed", "public"), ((string)json["object"]!, (string)json["status"]!, (string)json["model"]!));
        var output = (JsonArray)json["output"]!;
        Assert.Equal(["reasoning", "message", "function_call"], output.Select(o => (string)o!["type"]!));
        Assert.Equal("AB", (string)output[1]!["content"]![0]!["text"]!);
        Assert.Equal(("call_1", "f", "{}"), ((string)output[2]!["call_id"]!, (string)output[2]!["name"]!, (string)output[2]!["arguments"]!));
        Assert.Equal(10, (int)json["usage"]!["input_tokens"]!);
        Assert.Equal(2, (int)json["usage"]!["input_tokens_details"]!["cached_tokens"]!);
        Assert.Equal(1, (int)json["usage"]!["output_tokens_details"]!["reasoning_tokens"]!);
        Assert.Equal(15, (int)json["usage"]!["total_tokens"]!);
    }

    [Theory]
    [InlineData(FinishReason.Length, "incomplete", "max_output_tokens")]
    [InlineData(FinishReason.ContentFilter, "incomplete", "content_filter")]
    [InlineData(FinishReason.Stop, "completed", null)]
    public void Status_reflects_the_finish(FinishReason finish, string status, string? reason)
    {
        var json = Wire(Format.WriteResponse(new ChatResponse { Id = "x", Model = "m", Output = [new TextPart("t")], FinishReason = finish }, "m"));
        Assert.Equal(status, (string)json["status"]!);
        Assert.Equal(reason, (string?)json["incomplete_details"]?["reason"]);
    }

#pragma warning disable OPENAI001 // the Responses client is marked experimental in the SDK
    [Fact]
    public void Response_is_readable_by_the_official_OpenAI_SDK()
    {
        var json = Format.WriteResponse(new ChatResponse
        {
            Id = "resp_abc",
            Model = "x",
            Output = [new TextPart("Hello"), new ToolCallPart("call_1", "f", """{"a":1}""")],
            Usage = new Usage { InputTokens = 3, CachedInputTokens = 1, OutputTokens = 2 },
        }, "public");
        var response = System.ClientModel.Primitives.ModelReaderWriter.Read<OpenAI.Responses.ResponseResult>(BinaryData.FromString(json.ToJsonString()))!;

        Assert.Equal("resp_abc", response.Id);
        Assert.Equal("Hello", Assert.IsAssignableFrom<OpenAI.Responses.MessageResponseItem>(response.OutputItems[0]).Content[0].Text);
        var call = Assert.IsType<OpenAI.Responses.FunctionCallResponseItem>(response.OutputItems[1]);
        Assert.Equal(("call_1", "f", """{"a":1}"""), (call.CallId, call.FunctionName, call.FunctionArguments.ToString()));
        Assert.Equal(3, response.Usage.InputTokenCount);
        Assert.Equal(1, response.Usage.InputTokenDetails.CachedTokenCount);
    }

    [Fact]
    public void Stream_events_are_readable_by_the_official_OpenAI_SDK()
    {
        var output = Translate(UpstreamKind.OpenAI, ClientFormat.OpenAIResponses, StreamingTranslationTests.OpenAIStream, 0);
        var updates = ParseSse(output)
            .Select(e => System.ClientModel.Primitives.ModelReaderWriter.Read<OpenAI.Responses.StreamingResponseUpdate>(BinaryData.FromBytes(e.Data))!)
            .ToList();

        Assert.IsType<OpenAI.Responses.StreamingResponseCreatedUpdate>(updates[0]);
        Assert.Equal("Hello, wörld ✓", string.Concat(updates.OfType<OpenAI.Responses.StreamingResponseOutputTextDeltaUpdate>().Select(u => u.Delta)));
        var completed = Assert.IsType<OpenAI.Responses.StreamingResponseCompletedUpdate>(updates[^1]);
        Assert.Equal(100, completed.Response.Usage.InputTokenCount);
        Assert.Equal(20, completed.Response.Usage.OutputTokenDetails.ReasoningTokenCount);
        Assert.Equal(updates.Select((_, i) => i), updates.Select(u => u.SequenceNumber));
    }
#pragma warning restore OPENAI001
}
