using System.Reflection;
using NexRelay.ServiceDefaults;

namespace NexRelay.Edge.Tests.Auth;

/// <summary>One catalog of ProblemDetails types for every service: <see cref="ProblemTypes"/> in ServiceDefaults.</summary>
public sealed class ProblemTypesTests
{
    private const string Prefix = "https://nexrelay.dev/problems/";

    [Fact]
    public void No_service_writes_a_problem_type_outside_the_catalog()
    {
        var root = RepositoryRoot();
        var strays = new[] { "services", "NexRelay.ServiceDefaults" }
            .SelectMany(dir => Directory.EnumerateFiles(Path.Combine(root, dir), "*.cs", SearchOption.AllDirectories))
            .Where(path => !path.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !path.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && Path.GetFileName(path) != "ProblemTypes.cs")
            .Where(path => File.ReadAllText(path).Contains(Prefix, StringComparison.Ordinal))
            .Select(path => Path.GetRelativePath(root, path))
            .ToList();

        Assert.Empty(strays);
    }

    [Fact]
    public void Each_type_is_one_distinct_kebab_case_word_under_the_nexrelay_prefix()
    {
        var types = typeof(ProblemTypes).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).ToList();

        Assert.Equal(types.Count, types.Distinct().Count());
        Assert.All(types, t => Assert.Matches("^https://nexrelay\\.dev/problems/[a-z]+(-[a-z]+)*$", t));
        Assert.Contains(Prefix + "invalid-request", types);
        Assert.Contains(Prefix + "admin-token", types);
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NexRelay.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException("NexRelay.sln not found above " + AppContext.BaseDirectory);
    }
}
