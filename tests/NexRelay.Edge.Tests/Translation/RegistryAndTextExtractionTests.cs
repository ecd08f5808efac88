using NexRelay.Edge.Translation;
using static NexRelay.Edge.Tests.Translation.TranslationHarness;

namespace NexRelay.Edge.Tests.Translation;

public sealed class RegistryAndTextExtractionTests
{
    [Theory]
    [InlineData(ClientFormat.OpenAIChat, UpstreamKind.OpenAI)]
    [InlineData(ClientFormat.OpenAIResponses, UpstreamKind.OpenAI)]
    [InlineData(ClientFormat.Anthropic, UpstreamKind.Anthropic)]
    [InlineData(ClientFormat.Gemini, UpstreamKind.Gemini)]
    public void Client_formats_are_singletons_with_their_native_upstream(ClientFormat format, UpstreamKind? native)
    {
        var adapter = FormatRegistry.Client(format);
        Assert.Same(adapter, FormatRegistry.Client(format));
        Assert.Equal(format, adapter.Format);
        Assert.Equal(native, adapter.NativeUpstream);
    }

    [Theory]
    [InlineData(UpstreamKind.OpenAI)]
    [InlineData(UpstreamKind.Anthropic)]
    [InlineData(UpstreamKind.Gemini)]
    public void Upstream_formats_are_singletons_and_parsers_are_fresh(UpstreamKind kind)
    {
        var adapter = FormatRegistry.Upstream(kind);
        Assert.Same(adapter, FormatRegistry.Upstream(kind));
        Assert.Equal(kind, adapter.Kind);
        Assert.NotSame(adapter.CreateStreamParser(), adapter.CreateStreamParser());
    }

    [Fact]
    public void All_input_text_is_enumerated_and_images_counted()
    {
        var request = FormatRegistry.Client(ClientFormat.OpenAIChat).ParseRequest(Json("""
            {"model":"m","messages":[
              {"role":"system","content":"SYS"},
              {"role":"user","content":[{"type":"text","text":"USER"},{"type":"image_url","image_url":{"url":"https://x/y.png"}},{"type":"image_url","image_url":{"url":"data:image/png;base64,AA"}}]},
              {"role":"assistant","content":"ASSIST","tool_calls":[{"id":"c","type":"function","function":{"name":"TOOLNAME","arguments":"{\"ARG\":1}"}}]},
              {"role":"tool","tool_call_id":"c","content":"RESULT"}],
             "tools":[{"type":"function","function":{"name":"DEFNAME","description":"DESC","parameters":{"type":"object","properties":{"PROP":{}}}}}],
             "stop":["STOPSEQ"]}
            """), null, null);

        var text = string.Join("|", TextExtraction.EnumerateInputText(request));
        foreach (var expected in new[] { "SYS", "USER", "ASSIST", "TOOLNAME", "ARG", "RESULT", "DEFNAME", "DESC", "PROP", "STOPSEQ" })
        {
            Assert.Contains(expected, text);
        }
        Assert.Equal(2, TextExtraction.CountImages(request));
    }
}
