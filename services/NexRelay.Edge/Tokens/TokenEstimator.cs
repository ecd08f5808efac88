using Microsoft.ML.Tokenizers;

namespace NexRelay.Edge.Tokens;

/// <summary>
/// Token counts from a real tokenizer (o200k_base). Used for the hold's input upper bound, for count_tokens endpoints,
/// and for usage an upstream did not report. Other vendors' tokenizers differ, so the upper bound carries a margin.
/// </summary>
public sealed class TokenEstimator
{
    /// <summary>Framing per message (role markers and separators) as chat formats add it.</summary>
    private const int PerMessageOverhead = 4;
    /// <summary>A generous per-image charge: large images cost ~1,600 tokens at most at the vendors' default detail.</summary>
    private const int PerImageUpperBound = 1_600;

    private readonly Tokenizer _tokenizer = TiktokenTokenizer.CreateForEncoding("o200k_base");

    public int Count(string? text) => string.IsNullOrEmpty(text) ? 0 : _tokenizer.CountTokens(text);

    /// <summary>Tokens in the texts plus framing: a fair count (count_tokens endpoints, missing usage).</summary>
    public long CountInput(IEnumerable<string> texts, int messageCount, int imageCount)
    {
        long total = 3;
        foreach (var text in texts) total += Count(text);
        return total + (long)messageCount * PerMessageOverhead + (long)imageCount * PerImageUpperBound;
    }

    /// <summary>An upper estimate for the hold: the count plus 25 % and a constant, since other tokenizers split differently.</summary>
    public long UpperBoundInput(IEnumerable<string> texts, int messageCount, int imageCount)
    {
        var count = CountInput(texts, messageCount, imageCount);
        return count + count / 4 + 16;
    }
}
