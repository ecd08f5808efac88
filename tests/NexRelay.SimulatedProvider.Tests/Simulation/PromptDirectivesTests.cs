using System.Text;
using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Simulation;

public sealed class PromptDirectivesTests
{
    private static Dictionary<string, string>? Find(string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        using var document = JsonDocument.Parse(bytes);
        return PromptDirectives.Find(bytes, document);
    }

    [Fact]
    public void A_body_without_a_directive_has_no_knobs()
    {
        Assert.Null(Find("""{"messages":[{"role":"user","content":"simply [sim no colon] and sim:tag=x"}]}"""));
    }

    [Fact]
    public void Values_and_flags_are_read_from_any_string_in_the_body()
    {
        var knobs = Find("""
            {"system":[{"type":"text","text":"be brief [sim:first-byte-delay-ms=3000;omit-usage]"}],
             "messages":[{"role":"user","content":[{"type":"text","text":"hi\n[sim: tag = run-7 ]"}]}]}
            """);

        Assert.NotNull(knobs);
        Assert.Equal("3000", knobs["first-byte-delay-ms"]);
        Assert.Equal("true", knobs["omit-usage"]);
        Assert.Equal("run-7", knobs["tag"]);
        Assert.Equal(3, knobs.Count);
    }

    [Fact]
    public void A_later_directive_overrides_an_earlier_one_and_names_ignore_case()
    {
        var knobs = Find("""{"contents":[{"parts":[{"text":"[sim:fail-status=503] then [sim:FAIL-STATUS=0;cut-after=2]"}]}]}""");

        Assert.NotNull(knobs);
        Assert.Equal("0", knobs["fail-status"]);
        Assert.Equal("2", knobs["cut-after"]);
    }

    [Fact]
    public void An_unclosed_directive_is_ignored()
    {
        Dictionary<string, string>? knobs = null;
        PromptDirectives.Read("[sim:tag=a] text [sim:fail-status=503", ref knobs);

        Assert.NotNull(knobs);
        Assert.Equal("a", Assert.Single(knobs).Value);
    }

    [Fact]
    public void Object_keys_and_numbers_are_not_read()
    {
        Assert.Null(Find("""{"[sim:tag=a]":1,"max_tokens":5,"x":"[sim]"}"""));
    }
}
