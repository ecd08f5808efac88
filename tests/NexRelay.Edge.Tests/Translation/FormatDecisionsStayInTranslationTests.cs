using System.Text.RegularExpressions;

namespace NexRelay.Edge.Tests.Translation;

/// <summary>
/// The invariant of docs/architecture.md's formats section: outside <c>Translation/</c>, code asks the format
/// (<c>IClientFormat</c>) and never names a <c>ClientFormat</c> member, except a route declaring the format it speaks.
/// </summary>
public sealed partial class FormatDecisionsStayInTranslationTests
{
    [Fact]
    public void No_code_outside_Translation_names_a_client_format_except_to_declare_a_route()
    {
        var edge = Path.Combine(RepositoryRoot(), "services", "NexRelay.Edge");
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(edge, "*.cs", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(edge, file).Replace('\\', '/');
            if (relative.StartsWith("Translation/", StringComparison.Ordinal) || relative.StartsWith("obj/", StringComparison.Ordinal)
                || relative.StartsWith("bin/", StringComparison.Ordinal)) continue;
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i].Trim();
                if (line.StartsWith("///", StringComparison.Ordinal) || !FormatMember().IsMatch(line)) continue;
                if (!line.Contains(".Speaks(ClientFormat.", StringComparison.Ordinal)) offenders.Add($"{relative}:{i + 1}: {line}");
            }
        }
        Assert.Empty(offenders);
    }

    [GeneratedRegex(@"\bClientFormat\.(OpenAIChat|OpenAIResponses|Anthropic|Gemini)\b")]
    private static partial Regex FormatMember();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NexRelay.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("The repository root (NexRelay.sln) is not above " + AppContext.BaseDirectory);
    }
}
