using System.Text;

namespace NexRelay.Logging.Tests;

/// <summary>A strict RFC 4180 reader for checking exports (quoted fields, doubled quotes, CRLF rows).</summary>
internal static class Csv
{
    public static List<string[]> Parse(string text)
    {
        var records = new List<string[]>();
        var fields = new List<string>();
        var field = new StringBuilder();
        var i = 0;
        while (i < text.Length)
        {
            if (field.Length == 0 && text[i] == '"')
            {
                i++;
                while (true)
                {
                    if (i >= text.Length) throw new FormatException("Unterminated quoted field.");
                    if (text[i] == '"')
                    {
                        if (i + 1 < text.Length && text[i + 1] == '"') { field.Append('"'); i += 2; continue; }
                        i++;
                        break;
                    }
                    field.Append(text[i++]);
                }
                if (i < text.Length && text[i] is not (',' or '\r')) throw new FormatException($"Text after a closing quote at {i}.");
                continue;
            }
            switch (text[i])
            {
                case ',':
                    fields.Add(field.ToString());
                    field.Clear();
                    i++;
                    break;
                case '\r':
                    if (i + 1 >= text.Length || text[i + 1] != '\n') throw new FormatException($"Bare CR at {i}.");
                    fields.Add(field.ToString());
                    field.Clear();
                    records.Add([.. fields]);
                    fields.Clear();
                    i += 2;
                    break;
                case '"' or '\n':
                    throw new FormatException($"Unquoted '{text[i]}' at {i}.");
                default:
                    field.Append(text[i++]);
                    break;
            }
        }
        if (field.Length > 0 || fields.Count > 0) throw new FormatException("Last record not terminated by CRLF.");
        return records;
    }
}
