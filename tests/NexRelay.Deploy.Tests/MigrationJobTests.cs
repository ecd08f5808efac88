using System.Text.RegularExpressions;
using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>
/// Migrations as a Job (issue 24 §4) in the example overlay: one Job per database runs the service's own image with
/// --migrate as the schema owner, the services only verify the schema, and each database user is a service's own.
/// </summary>
[Collection(ExampleOverlayCollection.Name)]
public sealed partial class MigrationJobTests(ExampleOverlay overlay)
{
    public static TheoryData<string, string> Databases() => new() { { "billing", "billingdb" }, { "keypolicy", "keypolicydb" }, { "logging", "loggingdb" } };

    [Theory]
    [MemberData(nameof(Databases))]
    public void A_Job_migrates_each_database_with_the_services_image_as_the_schema_owner(string service, string database)
    {
        var job = overlay.Manifests.Get("Job", $"migrate-{service}");
        var container = MainContainer(job);
        Assert.Equal(Str(MainContainer(overlay.Manifests.Get("Deployment", service))["image"]), Str(container["image"]));
        Assert.Equal(["--migrate"], container["args"]!.AsArray().Select(Str));
        Assert.Equal("Never", Str(PodSpec(job)["restartPolicy"]));
        // No probe can kill it mid-migration; its own budget bounds it.
        Assert.Null(container["livenessProbe"]);
        Assert.True(int.Parse(Str(job["spec"]!["activeDeadlineSeconds"]) ?? "0") >= 600, "the Job's activeDeadlineSeconds leaves a migration less than 10 minutes");

        var settings = new ContainerSettings(overlay.Manifests, job);
        var ddl = settings.Find($"ConnectionStrings__{database}");
        Assert.True(ddl is { Source: SettingSource.Secret }, $"migrate-{service} gets no {database} connection string from a Secret.");
        Assert.Equal($"nexrelay-migrations/{database}", ddl.From);
        Assert.NotNull(settings.Find("NexRelay__Migrations__LockTimeout")?.Value);
        // Only its own database's credentials.
        Assert.Equal([ $"ConnectionStrings__{database}" ], settings.All.Where(s => s.Source == SettingSource.Secret).Select(s => s.Name));
        // The namespace enforces the restricted Pod Security Standard: the Job's pod must meet it too.
        Assert.Equal("true", Str(PodSpec(job)["securityContext"]?["runAsNonRoot"]));
        Assert.Equal("RuntimeDefault", Str(PodSpec(job)["securityContext"]?["seccompProfile"]?["type"]));
        Assert.Equal("false", Str(PodSpec(job)["automountServiceAccountToken"]));
        Assert.Equal("false", Str(container["securityContext"]?["allowPrivilegeEscalation"]));
        Assert.Contains("ALL", container["securityContext"]?["capabilities"]?["drop"]?.AsArray().Select(Str) ?? []);
    }

    [Theory]
    [MemberData(nameof(Databases))]
    public void Services_verify_the_schema_with_a_user_of_their_own_and_never_see_the_owners_credentials(string service, string database)
    {
        var settings = new ContainerSettings(overlay.Manifests, overlay.Manifests.Get("Deployment", service));
        Assert.Equal("Verify", settings.Find("NexRelay__Migrations__Mode")?.Value);
        Assert.Equal($"nexrelay-connections/{database}", settings.Find($"ConnectionStrings__{database}")?.From);
        Assert.DoesNotContain(overlay.Manifests.OfKind("Deployment").SelectMany(d => new ContainerSettings(overlay.Manifests, d).All),
            s => s.From.StartsWith("nexrelay-migrations/", StringComparison.Ordinal));
    }

    [Fact]
    public void Migration_Jobs_reach_PostgreSQL_through_a_policy_of_their_own()
    {
        var policy = overlay.Manifests.Get("NetworkPolicy", "allow-postgresql-migrations");
        foreach (var job in overlay.Manifests.OfKind("Job"))
        {
            Assert.True(Selects(policy["spec"]!["podSelector"], PodLabels(job)), $"{Name(job)}'s pods are not selected by allow-postgresql-migrations.");
            // Not a Service's endpoint: a running Job pod would otherwise receive the service's traffic.
            var pods = PodLabels(job);
            Assert.DoesNotContain(overlay.Manifests.OfKind("Service"), s => Labels(s["spec"]!["selector"]).All(p => pods.GetValueOrDefault(p.Key) == p.Value));
        }
        Assert.Contains(Items(policy["spec"]!["egress"]).SelectMany(e => Items(e["ports"])), p => Str(p["port"]) == "5432");
    }

    /// <summary>The README's secret commands give each database its own application user and a separate schema owner.</summary>
    [Fact]
    public void README_creates_one_database_user_per_service_and_separate_owners_for_the_migrations()
    {
        var readme = Repository.Read("README.md");
        Dictionary<string, string> UsersOf(string secret)
        {
            var command = SecretCommand(secret).Match(readme);
            Assert.True(command.Success, $"README.md has no `kubectl create secret generic {secret}` command.");
            return UserPerDatabase().Matches(command.Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
        }
        var services = UsersOf("nexrelay-connections");
        var owners = UsersOf("nexrelay-migrations");
        Assert.Equal(["billingdb", "keypolicydb", "loggingdb"], services.Keys.Order());
        Assert.Equal(["billingdb", "keypolicydb", "loggingdb"], owners.Keys.Order());
        Assert.Equal(3, services.Values.Distinct().Count());
        Assert.Empty(services.Values.Intersect(owners.Values));
    }

    private static Regex SecretCommand(string secret) =>
        new($@"create\s+secret\s+generic\s+{Regex.Escape(secret)}\b(?:[^`](?!kubectl))*", RegexOptions.Singleline);

    [GeneratedRegex(@"--from-literal=(\w+db)='[^']*Username=([^;']+)")]
    private static partial Regex UserPerDatabase();
}
