using System.Text;

namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>
/// The simulated output: the first N of 64 fixed common English words, single-space separated (each one token in
/// common tokenizers, so estimates agree with the reported counts). Kept as UTF-8 so writing a prefix never allocates.
/// </summary>
internal static class Vocabulary
{
    public const int MaxWords = 64;

    public static readonly string[] Words =
    [
        "time", "year", "people", "way", "day", "man", "thing", "woman", "life", "child", "world", "school", "state",
        "family", "student", "group", "country", "problem", "hand", "part", "place", "case", "week", "company", "system",
        "program", "question", "work", "government", "number", "night", "point", "home", "water", "room", "mother", "area",
        "money", "story", "fact", "month", "lot", "right", "study", "book", "eye", "job", "word", "business", "issue",
        "side", "kind", "head", "house", "service", "friend", "father", "power", "hour", "game", "line", "end", "member",
        "law",
    ];

    private static readonly byte[] Utf8 = Encoding.UTF8.GetBytes(string.Join(' ', Words));

    // Ends[i] = offset just past word i in Utf8.
    private static readonly int[] Ends = ComputeEnds();

    /// <summary>The whole output of <paramref name="words"/> words.</summary>
    public static ReadOnlySpan<byte> Text(int words) => words <= 0 ? [] : Utf8.AsSpan(0, Ends[words - 1]);

    /// <summary>The streamed piece for word <paramref name="index"/>: the word, with a leading space after the first.</summary>
    public static ReadOnlySpan<byte> Delta(int index)
    {
        var start = index == 0 ? 0 : Ends[index - 1];
        return Utf8.AsSpan(start, Ends[index] - start);
    }

    /// <summary>The same as <see cref="Text"/>, as a string (tests and callers that compare text).</summary>
    public static string TextString(int words) => Encoding.UTF8.GetString(Text(words));

    private static int[] ComputeEnds()
    {
        var ends = new int[Words.Length];
        var offset = 0;
        for (var i = 0; i < Words.Length; i++)
        {
            offset += (i == 0 ? 0 : 1) + Words[i].Length;
            ends[i] = offset;
        }
        return ends;
    }
}
