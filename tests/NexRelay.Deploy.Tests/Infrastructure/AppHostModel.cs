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
            var resource = Resource(project.Groups[2].Value);
            var variable = VariablePattern().Match(statement);
            if (variable.Success) resourceOfVariable[variable.Groups[1].Value] = resource;
            projects.Add((resource, project.Groups[1].Value.Replace('_', '.'), statement));
        }

        return projects.Select(p =>
        {
            var settings = new List<string>();
            foreach (Match reference in ReferencePattern().Matches(p.Statement))
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
            settings.AddRange(EnvironmentPattern().Matches(p.Statement).Select(m => m.Groups[1].Value));
            return new AppHostService(p.Resource, p.Folder, settings);
        }).ToList();
    }

    private static string Resource(string constant) =>
        ResourceNames.TryGetValue(constant, out var name) ? name
            : throw new InvalidOperationException($"ResourceNames has no constant {constant} (used by the AppHost).");

    [GeneratedRegex("""public const string (\w+) = "([^"]+)";""")]
    private static partial Regex ConstantPattern();

    [GeneratedRegex(@"AddProject<Projects\.(\w+)>\(\s*ResourceNames\.(\w+)")]
    private static partial Regex ProjectPattern();

    [GeneratedRegex(@"var\s+(\w+)\s*=\s*builder\.AddProject")]
    private static partial Regex VariablePattern();

    [GeneratedRegex(@"\.WithReference\(\s*(\w+)(?:\.(\w+))?\s*\)")]
    private static partial Regex ReferencePattern();

    [GeneratedRegex("""\.WithEnvironment\(\s*"([^"]+)"\s*,""")]
    private static partial Regex EnvironmentPattern();
}
