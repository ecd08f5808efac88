using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Simulation;

public sealed class WordCounterTests
{
    [Theory]
    [InlineData("", 0)]
    [InlineData(" ", 0)]
    [InlineData("one", 1)]
    [InlineData("two words", 2)]
    [InlineData("  leading and trailing  ", 3)]
    [InlineData("many    spaces   between", 3)]
    [InlineData("tabs\tand\nnew\r\nlines", 4)]
    [InlineData("héllo wörld", 2)]
    [InlineData("non\u00a0breaking space", 3)]
    [InlineData("quote\"inside words", 2)]
    [InlineData("punctuation, counts. as part!", 4)]
    [InlineData("日本語 テキスト", 2)]
    public void Counts_whitespace_separated_words(string text, int expected)
    {
        Assert.Equal(expected, WordCounter.Count(text.AsSpan()));
        // The in-place UTF-8 path over a JSON string value agrees with the decoded one, escapes included.
        using var document = JsonDocument.Parse(JsonSerializer.Serialize(text));
        Assert.Equal(expected, WordCounter.Count(document.RootElement));
        if (!text.Any(c => c is '"' or '\\' || char.IsControl(c)))
        {
            using var raw = JsonDocument.Parse("\"" + text + "\"");
            Assert.Equal(expected, WordCounter.Count(raw.RootElement));
        }
    }

    [Fact]
    public void Escaped_whitespace_in_json_separates_words()
    {
        using var document = JsonDocument.Parse("\"a\\nb\\tc\\u0020d\"");
        Assert.Equal(4, WordCounter.Count(document.RootElement));
    }

    [Fact]
    public void Counts_every_string_inside_a_tool_result_object()
    {
        using var document = JsonDocument.Parse("""{"weather":"sunny and warm","details":{"wind":"light"},"list":["a b",3,true]}""");
        Assert.Equal(6, WordCounter.CountStrings(document.RootElement));
    }
}
