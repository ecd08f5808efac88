using NexRelay.Edge.Translation;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>
/// Fields an upstream bills beyond the held tokens are refused at parsing, naming the field and saying why; the values that
/// cost nothing extra still parse (README, "Fields NexRelay refuses").
/// </summary>
public sealed class UnpricedFieldTests
{
    // Bodies without their closing brace, and extra fields, in single quotes for readability: With() turns them into JSON.
    private const string Chat = "{'model':'m','messages':[{'role':'user','content':'hi'}]";
    private const string Responses = "{'model':'m','input':'hi'";
    private const string Anthropic = "{'model':'c','max_tokens':5,'messages':[{'role':'user','content':'hi'}]";
    private const string Gemini = "{'contents':[{'role':'user','parts':[{'text':'hi'}]}]";

    private static string With(string start, string extra) => (start + "," + extra + "}").Replace('\'', '"');

    private static RequestValidationException Refused(ClientFormat format, string body) =>
        Assert.Throws<RequestValidationException>(() => FormatRegistry.Client(format).ParseRequest(Json(body), "gemini-x", false));

    private static ChatRequest Parsed(ClientFormat format, string body) =>
        FormatRegistry.Client(format).ParseRequest(Json(body), "gemini-x", false);

    [Theory]
    [InlineData("'service_tier':'priority'", "service_tier")]
    [InlineData("'service_tier':'flex'", "service_tier")]
    [InlineData("'service_tier':'scale'", "service_tier")]
    [InlineData("'service_tier':'Default'", "service_tier")]
    [InlineData("'web_search_options':{}", "web_search_options")]
    [InlineData("'web_search_options':{'search_context_size':'high'}", "web_search_options")]
    [InlineData("'modalities':['text','audio']", "modalities")]
    [InlineData("'modalities':['audio']", "modalities")]
    [InlineData("'audio':{'voice':'alloy','format':'wav'}", "audio")]
    [InlineData("'prediction':{'type':'content','content':'old code'}", "prediction")]
    [InlineData("'functions':[{'name':'f','parameters':{}}]", "functions")]
    public void Chat_refuses_fields_it_cannot_price(string field, string param)
    {
        var e = Refused(ClientFormat.OpenAIChat, With(Chat, field));
        Assert.Equal(param, e.Param);
        Assert.StartsWith($"'{param}': NexRelay does not price ", e.Message);
        Assert.Contains("yet; ", e.Message);
    }

    [Theory]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"hi"},{"role":"assistant","audio":{"id":"audio_1"}}]}""", "messages[1].audio")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA","format":"wav"}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"f"}}]}]}""", "messages[0].content[0].type")]
    public void Chat_refuses_audio_and_file_input_with_the_reason(string body, string param)
    {
        var e = Refused(ClientFormat.OpenAIChat, body);
        Assert.Equal(param, e.Param);
        Assert.Contains("NexRelay does not price", e.Message);
    }

    [Theory]
    [InlineData("'service_tier':'auto'")]
    [InlineData("'service_tier':'default'")]
    [InlineData("'service_tier':null")]
    [InlineData("'modalities':['text']")]
    [InlineData("'modalities':[]")]
    [InlineData("'audio':null,'prediction':null,'web_search_options':null")]
    [InlineData("'prompt_cache_retention':'24h','prompt_cache_key':'k','store':true,'metadata':{'a':'b'},'logprobs':true,'top_logprobs':2,'seed':1")]
    public void Chat_keeps_values_that_cost_nothing_extra(string field) =>
        Assert.Equal("m", Parsed(ClientFormat.OpenAIChat, With(Chat, field)).Model);

    [Theory]
    [InlineData("'service_tier':'priority'", "service_tier")]
    [InlineData("'service_tier':'flex'", "service_tier")]
    public void Responses_refuses_tiers_it_cannot_price(string field, string param)
    {
        var e = Refused(ClientFormat.OpenAIResponses, With(Responses, field));
        Assert.Equal(param, e.Param);
        Assert.Contains("NexRelay does not price", e.Message);
    }

    /// <summary>
    /// Hosted tools billed per call are not refused but dropped, on every upstream, pass-through included (the catalog prices
    /// no tool calls): the request goes on without them and the answer names them (<c>x-nexrelay-dropped-tools</c>).
    /// </summary>
    [Theory]
    [InlineData("'tools':[{'type':'web_search'}]", "web_search")]
    [InlineData("'tools':[{'type':'web_search_preview'}]", "web_search_preview")]
    [InlineData("'tools':[{'type':'function','name':'f'},{'type':'file_search','vector_store_ids':['vs']}]", "file_search")]
    [InlineData("'tools':[{'type':'code_interpreter','container':{'type':'auto'}}]", "code_interpreter")]
    [InlineData("'tools':[{'type':'image_generation'}]", "image_generation")]
    [InlineData("'tools':[{'type':'computer_use_preview','display_width':1024,'display_height':768,'environment':'browser'}]", "computer_use_preview")]
    [InlineData("'tools':[{'type':'mcp','server_label':'x','server_url':'https://mcp.example'}]", "mcp")]
    public void Responses_drops_hosted_tools_billed_per_call_on_every_upstream(string field, string type)
    {
        var request = Parsed(ClientFormat.OpenAIResponses, With(Responses, field));
        Assert.Equal([type], request.DroppedTools(passthrough: true));
        Assert.Equal([type], request.DroppedTools(passthrough: false));
    }

    [Theory]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"f"}]}]}""", "input[0].content[0].type")]
    [InlineData("""{"model":"m","input":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AA","format":"wav"}}]}]}""", "input[0].content[0].type")]
    public void Responses_refuses_file_and_audio_input_with_the_reason(string body, string param)
    {
        var e = Refused(ClientFormat.OpenAIResponses, body);
        Assert.Equal(param, e.Param);
        Assert.Contains("NexRelay does not price", e.Message);
    }

    [Theory]
    [InlineData("'tools':[{'type':'custom','name':'c'}]", null)]
    [InlineData("'tools':[{'type':'namespace','name':'n','tools':[]}]", null)]
    [InlineData("'tools':[{'type':'local_shell'}]", "local_shell")]
    [InlineData("'tools':[{'type':'tool_search'}]", "tool_search")]
    public void Responses_accepts_the_other_tool_types_dropping_only_untranslatable_ones_when_translated(string field, string? dropped)
    {
        var request = Parsed(ClientFormat.OpenAIResponses, With(Responses, field));
        Assert.Empty(request.DroppedTools(passthrough: true));
        string[] expected = dropped is null ? [] : [dropped];
        Assert.Equal(expected, request.DroppedTools(passthrough: false));
    }

    [Theory]
    [InlineData("'service_tier':'auto'")]
    [InlineData("'service_tier':'default'")]
    [InlineData("'store':false,'include':['reasoning.encrypted_content'],'prompt_cache_retention':'in_memory'")]
    public void Responses_keeps_values_that_cost_nothing_extra(string field) =>
        Assert.Equal("m", Parsed(ClientFormat.OpenAIResponses, With(Responses, field)).Model);

    [Theory]
    [InlineData("'service_tier':'priority'", "service_tier")]
    [InlineData("'service_tier':'standard'", "service_tier")]
    [InlineData("'speed':'fast'", "speed")]
    [InlineData("'inference_geo':'us'", "inference_geo")]
    [InlineData("'mcp_servers':[{'type':'url','url':'https://mcp.example','name':'x'}]", "mcp_servers")]
    [InlineData("'container':'container_1'", "container")]
    [InlineData("'container':{'skills':[{'type':'anthropic','skill_id':'pptx'}]}", "container")]
    [InlineData("'fallbacks':[{'model':'claude-opus-4-6'}]", "fallbacks")]
    [InlineData("'tools':[{'type':'web_search_20250305','name':'web_search'}]", "tools[0].type")]
    [InlineData("'tools':[{'name':'f','input_schema':{}},{'type':'code_execution_20250825','name':'code_execution'}]", "tools[1].type")]
    [InlineData("'tools':[{'type':'web_fetch_20250910','name':'web_fetch'}]", "tools[0].type")]
    [InlineData("'tools':[{'type':'mcp_toolset','mcp_server_name':'x'}]", "tools[0].type")]
    public void Anthropic_refuses_fields_it_cannot_price(string field, string param)
    {
        var e = Refused(ClientFormat.Anthropic, With(Anthropic, field));
        Assert.Equal(param, e.Param);
        Assert.Contains($"'{param}': NexRelay does not price", e.Message);
    }

    [Theory]
    [InlineData("""{"model":"c","max_tokens":5,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"AA"}}]}]}""", "messages[0].content[0].type")]
    [InlineData("""{"model":"c","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"document","source":{"type":"text","media_type":"text/plain","data":"x"}}]}]}]}""", "messages[1].content[0].content[0].type")]
    [InlineData("""{"model":"c","max_tokens":5,"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[{"type":"text","text":"ok"},{"type":"search_result","source":"s","title":"t","content":[]}]}]}]}""", "messages[1].content[0].content[1].type")]
    public void Anthropic_refuses_documents_anywhere_with_the_reason(string body, string param)
    {
        var e = Refused(ClientFormat.Anthropic, body);
        Assert.Equal(param, e.Param);
        Assert.Contains("NexRelay does not price", e.Message);
    }

    [Theory]
    [InlineData("'service_tier':'auto'")]
    [InlineData("'service_tier':'standard_only'")]
    [InlineData("'speed':'standard'")]
    [InlineData("'inference_geo':'global'")]
    [InlineData("'mcp_servers':[],'fallbacks':[],'container':null")]
    [InlineData("'cache_control':{'type':'ephemeral'},'metadata':{'user_id':'u'}")]
    public void Anthropic_keeps_values_that_cost_nothing_extra(string field) =>
        Assert.Equal("c", Parsed(ClientFormat.Anthropic, With(Anthropic, field)).Model);

    [Fact]
    public void Anthropic_keeps_the_plain_refusal_for_client_tools_it_does_not_translate()
    {
        var e = Refused(ClientFormat.Anthropic, With(Anthropic, "'tools':[{'type':'bash_20250124','name':'bash'}]"));
        Assert.Equal("tools[0].type", e.Param);
        Assert.Contains("only custom tools are", e.Message);
    }

    [Fact]
    public void Images_inside_anthropic_tool_results_are_held_for()
    {
        var request = Parsed(ClientFormat.Anthropic, """
            {"model":"c","max_tokens":5,"messages":[
              {"role":"assistant","content":[{"type":"tool_use","id":"t","name":"shot","input":{}}]},
              {"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":[
                {"type":"text","text":"two screenshots"},
                {"type":"image","source":{"type":"base64","media_type":"image/png","data":"AA"}},
                {"type":"image","source":{"type":"url","url":"https://example.com/b.png"}}]}]}]}
            """);
        Assert.Equal(2, TextExtraction.CountImages(request));
    }

    [Theory]
    [InlineData("'cachedContent':'cachedContents/abc'", "cachedContent")]
    [InlineData("'cached_content':'cachedContents/abc'", "cached_content")]
    [InlineData("'serviceTier':'priority'", "serviceTier")]
    [InlineData("'service_tier':'flex'", "serviceTier")]
    [InlineData("'serviceTier':'SERVICE_TIER_PRIORITY'", "serviceTier")]
    [InlineData("'generationConfig':{'responseModalities':['TEXT','AUDIO']}", "generationConfig.responseModalities")]
    [InlineData("'generationConfig':{'responseModalities':['IMAGE']}", "generationConfig.responseModalities")]
    [InlineData("'generation_config':{'response_modalities':['image']}", "generationConfig.responseModalities")]
    [InlineData("'generationConfig':{'speechConfig':{'voiceConfig':{'prebuiltVoiceConfig':{'voiceName':'Kore'}}}}", "generationConfig.speechConfig")]
    [InlineData("'generationConfig':{'imageConfig':{'aspectRatio':'16:9'}}", "generationConfig.imageConfig")]
    [InlineData("'generationConfig':{'mediaResolution':'MEDIA_RESOLUTION_ULTRA_HIGH'}", "generationConfig.mediaResolution")]
    [InlineData("'tools':[{'googleSearch':{}}]", "tools[0].googleSearch")]
    [InlineData("'tools':[{'functionDeclarations':[{'name':'f'}]},{'codeExecution':{}}]", "tools[1].codeExecution")]
    [InlineData("'tools':[{'url_context':{}}]", "tools[0].url_context")]
    [InlineData("'systemInstruction':{'parts':[{'text':'s'},{'inlineData':{'mimeType':'image/png','data':'AA'}}]}", "systemInstruction.parts[1]")]
    public void Gemini_refuses_fields_it_cannot_price(string field, string param)
    {
        var e = Refused(ClientFormat.Gemini, With(Gemini, field));
        Assert.Equal(param, e.Param);
        Assert.Contains($"'{param}': NexRelay does not price", e.Message);
    }

    [Theory]
    [InlineData("""{"inlineData":{"mimeType":"video/mp4","data":"AA"}}""", "contents[0].parts[1].inlineData.mimeType", "video")]
    [InlineData("""{"inline_data":{"mime_type":"audio/wav","data":"AA"}}""", "contents[0].parts[1].inlineData.mimeType", "audio")]
    [InlineData("""{"inlineData":{"mimeType":"application/pdf","data":"AA"}}""", "contents[0].parts[1].inlineData.mimeType", "PDF")]
    [InlineData("""{"inlineData":{"mimeType":"text/plain","data":"AA"}}""", "contents[0].parts[1].inlineData.mimeType", "text/plain")]
    [InlineData("""{"fileData":{"mimeType":"video/mp4","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}""", "contents[0].parts[1].fileData.mimeType", "video")]
    [InlineData("""{"fileData":{"mimeType":"application/pdf","fileUri":"gs://bucket/a.pdf"}}""", "contents[0].parts[1].fileData.mimeType", "PDF")]
    [InlineData("""{"fileData":{"fileUri":"https://www.youtube.com/watch?v=9hE5-98ZeCg"}}""", "contents[0].parts[1].fileData.fileUri", "YouTube")]
    [InlineData("""{"fileData":{"mimeType":"image/png","fileUri":"https://youtu.be/9hE5-98ZeCg"}}""", "contents[0].parts[1].fileData.fileUri", "YouTube")]
    [InlineData("""{"fileData":{"fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}""", "contents[0].parts[1].fileData.mimeType", "undeclared")]
    [InlineData("""{"inlineData":{"mimeType":"image/png","data":"AA"},"mediaResolution":{"level":"MEDIA_RESOLUTION_ULTRA_HIGH"}}""", "contents[0].parts[1].mediaResolution.level", "ultra-high")]
    [InlineData("""{"inlineData":{"mimeType":"image/png","data":"AA"},"mediaResolution":{"numTokens":4096}}""", "contents[0].parts[1].mediaResolution.numTokens", "tokens per image")]
    [InlineData("""{"inlineData":{"mimeType":"image/png","data":"AA"},"mediaResolution":"MEDIA_RESOLUTION_ULTRA_HIGH"}""", "contents[0].parts[1].mediaResolution", "ultra-high")]
    public void Gemini_refuses_media_other_than_images(string part, string param, string reason)
    {
        var e = Refused(ClientFormat.Gemini, $$"""{"contents":[{"role":"user","parts":[{"text":"what is this?"},{{part}}]}]}""");
        Assert.Equal(param, e.Param);
        Assert.Contains("NexRelay does not price", e.Message);
        Assert.Contains(reason, e.Message);
    }

    [Fact]
    public void Gemini_refuses_non_image_media_in_function_responses_and_holds_for_their_images()
    {
        static string Body(string mediaParts) =>
            """{"contents":[{"role":"user","parts":[{"text":"go"}]},{"role":"model","parts":[{"functionCall":{"name":"f","args":{}}}]},"""
            + """{"role":"user","parts":[{"functionResponse":{"name":"f","response":{},"parts":[""" + mediaParts + "]}}]}]}";

        var e = Refused(ClientFormat.Gemini, Body("""{"inlineData":{"mimeType":"application/pdf","data":"AA"}}"""));
        Assert.Equal("contents[2].parts[0].functionResponse.parts[0].inlineData.mimeType", e.Param);

        var request = Parsed(ClientFormat.Gemini,
            Body("""{"inlineData":{"mimeType":"image/png","data":"AA"}},{"fileData":{"mimeType":"image/jpeg","fileUri":"gs://b/c.jpg"}}"""));
        Assert.Equal(2, TextExtraction.CountImages(request));
    }

    [Theory]
    [InlineData("'serviceTier':'standard'")]
    [InlineData("'service_tier':'STANDARD'")]
    [InlineData("'serviceTier':'SERVICE_TIER_STANDARD'")]
    [InlineData("'generationConfig':{'responseModalities':['TEXT']}")]
    [InlineData("'generationConfig':{'responseModalities':['text','MODALITY_UNSPECIFIED']}")]
    [InlineData("'generationConfig':{'mediaResolution':'MEDIA_RESOLUTION_HIGH','responseLogprobs':false}")]
    [InlineData("'safetySettings':[],'labels':{'team':'a'},'cachedContent':null")]
    public void Gemini_keeps_values_that_cost_nothing_extra(string field) =>
        Assert.Equal("gemini-x", Parsed(ClientFormat.Gemini, With(Gemini, field)).Model);

    [Theory]
    [InlineData("""{"inlineData":{"mimeType":"image/png","data":"AA"}}""")]
    [InlineData("""{"inline_data":{"mime_type":"IMAGE/JPEG","data":"AA"}}""")]
    [InlineData("""{"fileData":{"mimeType":"image/webp","fileUri":"https://generativelanguage.googleapis.com/v1beta/files/abc"}}""")]
    [InlineData("""{"fileData":{"mimeType":"image/png","fileUri":"gs://bucket/a.png"},"mediaResolution":{"level":"MEDIA_RESOLUTION_HIGH"}}""")]
    public void Gemini_images_stay_allowed_and_are_held_for(string part)
    {
        var request = Parsed(ClientFormat.Gemini, $$"""{"contents":[{"role":"user","parts":[{"text":"what is this?"},{{part}}]}]}""");
        Assert.Equal(1, TextExtraction.CountImages(request));
    }

    [Theory]
    [InlineData(ClientFormat.OpenAIChat, "'service_tier':7", "service_tier")]
    [InlineData(ClientFormat.OpenAIChat, "'modalities':'audio'", "modalities")]
    [InlineData(ClientFormat.OpenAIChat, "'modalities':[1]", "modalities[0]")]
    [InlineData(ClientFormat.Anthropic, "'speed':true", "speed")]
    [InlineData(ClientFormat.Gemini, "'generationConfig':{'responseModalities':'TEXT'}", "generationConfig.responseModalities")]
    [InlineData(ClientFormat.Gemini, "'serviceTier':{}", "serviceTier")]
    public void A_wrongly_typed_value_of_a_checked_field_is_a_named_400(ClientFormat format, string field, string param)
    {
        var start = format switch { ClientFormat.OpenAIChat => Chat, ClientFormat.Anthropic => Anthropic, _ => Gemini };
        Assert.Equal(param, Refused(format, With(start, field)).Param);
    }
}
