using System.Text;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Simulation;

public sealed class VocabularyTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(63)]
    [InlineData(64)]
    public void Text_has_exactly_the_requested_number_of_single_space_separated_words(int words)
    {
        var text = Vocabulary.TextString(words);
        Assert.Equal(words, text.Split(' ').Length);
        Assert.DoesNotContain("  ", text);
        Assert.Equal(text.Trim(), text);
    }

    [Fact]
    public void Deltas_concatenate_to_the_text_for_every_length()
    {
        for (var words = 1; words <= Vocabulary.MaxWords; words++)
        {
            var streamed = new StringBuilder();
            for (var i = 0; i < words; i++) streamed.Append(Encoding.UTF8.GetString(Vocabulary.Delta(i)));
            Assert.Equal(Vocabulary.TextString(words), streamed.ToString());
        }
    }

    [Fact]
    public void Has_64_words()
    {
        Assert.Equal(64, Vocabulary.Words.Length);
        Assert.Equal(64, Vocabulary.TextString(64).Split(' ').Length);
    }

    [Fact]
    public void Tool_argument_chunks_reassemble_to_the_arguments()
    {
        Assert.True(ToolCall.ArgumentChunks.Length >= 3);
        Assert.Equal("""{"city":"Paris","days":3}""", string.Concat(ToolCall.ArgumentChunks));
    }
}
