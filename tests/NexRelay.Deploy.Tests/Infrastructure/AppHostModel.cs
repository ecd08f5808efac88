using System.Text.RegularExpressions;

namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>A service project the AppHost runs, with the settings the AppHost hands it.</summary>
/// <param name="ResourceName">The Aspire resource name (a <c>ResourceNames</c> constant), which is also its Deployment's name.</param>
/// <param name="ProjectFolder">services/&lt;ProjectFolder&gt;, e.g. NexRelay.Edge.</param>
/// <param name="Settings">Configuration keys (env style) the AppHost provides: connection strings, environment, service discovery.</param>
internal sealed record AppHostService(string ResourceName, string ProjectFolder, IReadOnlyList<string> Settings);

/// <summary>Reads NexRelay.AppHost/AppHost.cs and ResourceNames.cs, so the manifests are checked against the AppHost as it grows.</summary>
internal static partial class AppHostModel
{
    public static IReadOnlyDictionary<string, string> ResourceNames { get; } =
        ConstantPattern().Matches(Repository.Read("NexRelay.ServiceDefaults", "ResourceNames.cs"))
            .ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);

    /// <summary>Every project resource of the AppHost except the simulated provider (local runs and tests only).</summary>
    public static IReadOnlyList<AppHostService> DeployedServices { get; } =
        Parse(Repository.Read("NexRelay.AppHost", "AppHost.cs")).Where(s => s.ResourceName != ResourceNames["SimulatedProvider"]).ToList();

    private static IReadOnlyList<AppHostService> Parse(string appHost)
    {
        var statements = appHost.Split(';').Where(s => s.Contains("AddProject<", StringComparison.Ordinal)).ToList();
        var resourceOfVariable = new Dictionary<string, string>();
        var projects = new List<(string Resource, string Folder, string Statement)>();
        foreach (var statement in statements)
        {
            var project = ProjectPattern().Match(statement);
            if (!project.Success) throw new InvalidOperationException($"Cannot read the AddProject call: {statement.Trim()}");
            // AddProject<Projects.NexRelay_X>(ResourceNames.Y, …) names the resource Y; a computed name (replicas added in a
            // loop) falls back to the constant named after the project, X.
            var type = project.Groups[1].Value;
            var resource = Resource(project.Groups[2].Success ? project.Groups[2].Value : type["NexRelay_".Length..]);
            var variable = VariablePattern().Match(statement);
            if (variable.Success) resourceOfVariable[variable.Groups[1].Value] = resource;
            projects.Add((resource, type.Replace('_', '.'), statement));
        }
        // A variable that only names a project added elsewhere (firstEdge ??= edge: the first of the edge's replicas) refers
        // to that project's resource.
        foreach (Match alias in AliasPattern().Matches(appHost))
        {
            if (resourceOfVariable.TryGetValue(alias.Groups[2].Value, out var target)) resourceOfVariable.TryAdd(alias.Groups[1].Value, target);
        }

        // Several AddProject calls for one resource (replicas) count as one service with the union of their settings.
        return projects.GroupBy(p => (p.Resource, p.Folder)).Select(group =>
        {
            var settings = new List<string>();
            foreach (var statement in group.Select(p => p.Statement))
            {
                foreach (Match reference in ReferencePattern().Matches(statement))
                {
                    if (reference.Groups[2].Success)
                    {
                        // infra.X: a connection-string resource whose name is the ResourceNames constant X.
                        settings.Add($"ConnectionStrings__{Resource(reference.Groups[2].Value)}");
                    }
                    else if (resourceOfVariable.TryGetValue(reference.Groups[1].Value, out var target) && target != ResourceNames["SimulatedProvider"])
                    {
                        settings.Add($"services__{target}__http__0");
                    }
                }
                settings.AddRange(EnvironmentPattern().Matches(statement).Select(m => m.Groups[1].Value));
            }
            return new AppHostService(group.Key.Resource, group.Key.Folder, settings.Distinct().ToList());
        }).ToList();
    }

    private static string Resource(string constant) =>
        ResourceNames.TryGetValue(constant, out var name) ? name
            : throw new InvalidOperationException($"ResourceNames has no constant {constant} (used by the AppHost).");

    [GeneratedRegex("""public const string (\w+) = "([^"]+)";""")]
    private static partial Regex ConstantPattern();

    [GeneratedRegex(@"AddProject<Projects\.(\w+)>\(\s*(?:ResourceNames\.(\w+))?")]
    private static partial Regex ProjectPattern();

    [GeneratedRegex(@"var\s+(\w+)\s*=\s*builder\.AddProject")]
    private static partial Regex VariablePattern();

    // .WithReference(billing), .WithReference(firstEdge!) (null-forgiving), .WithReference(infra.Redis).
    [GeneratedRegex(@"\.WithReference\(\s*(\w+)!?(?:\.(\w+))?\s*\)")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex(@"\b(\w+)\s*(?:\?\?)?=\s*(\w+)\s*;")]
    private static partial Regex AliasPattern();

    [GeneratedRegex("""\.WithEnvironment\(\s*"([^"]+)"\s*,""")]
    private static partial Regex EnvironmentPattern();
}
