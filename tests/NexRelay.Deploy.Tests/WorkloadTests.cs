using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>Each AppHost service becomes a Deployment with a Service, probes on real endpoints, limits and a non-root container.</summary>
[Collection(ExampleOverlayCollection.Name)]
public sealed class WorkloadTests(ExampleOverlay overlay)
{
    public static TheoryData<string> Services() => [.. AppHostModel.DeployedServices.Select(s => s.ResourceName)];

    [Fact]
    public void Every_Deployment_is_a_service_of_the_AppHost()
    {
        Assert.Equal(
            AppHostModel.DeployedServices.Select(s => s.ResourceName).Order(),
            overlay.Manifests.OfKind("Deployment").Select(Name).Order());
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Service_has_a_Deployment_a_Service_and_a_PodDisruptionBudget_selecting_its_pods(string service)
    {
        var deployment = overlay.Manifests.Get("Deployment", service);
        var pods = PodLabels(deployment);
        Assert.True(Selects(deployment["spec"]!["selector"], pods), $"Deployment {service}'s selector does not match its pods.");

        var kubeService = overlay.Manifests.Get("Service", service);
        var selector = Labels(kubeService["spec"]!["selector"]);
        Assert.NotEmpty(selector);
        Assert.All(selector, p => Assert.Equal(p.Value, pods.GetValueOrDefault(p.Key)));
        Assert.Equal("http", Str(kubeService["spec"]!["ports"]![0]!["targetPort"]));

        var budget = overlay.Manifests.Get("PodDisruptionBudget", service);
        Assert.True(Selects(budget["spec"]!["selector"], pods), $"PodDisruptionBudget {service} does not select its pods.");
        Assert.True(MinimumReplicas(service) >= 2, $"{service} runs fewer than two replicas: a disruption budget cannot keep it up.");
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Probes_point_at_the_health_endpoints_ServiceDefaults_maps(string service)
    {
        // Liveness and startup on /alive (ServiceDefaults); readiness on /ready, which reflects only what the pod itself
        // needs to serve (issue 24 §1; mapped by the services), never /health with every dependency's check.
        var defaults = Repository.Read("NexRelay.ServiceDefaults", "Extensions.cs");
        var alive = EndpointConstant("AlivenessEndpointPath").Match(defaults).Groups[1].Value;
        Assert.Equal(ProductionRules.LivenessPath, alive);

        var container = MainContainer(overlay.Manifests.Get("Deployment", service));
        var portNames = Items(container["ports"]).Select(p => Str(p["name"])).ToHashSet();
        foreach (var (probe, path) in new[] { ("readinessProbe", ProductionRules.ReadinessPath), ("livenessProbe", alive), ("startupProbe", alive) })
        {
            var get = container[probe]?["httpGet"];
            Assert.True(get is not null, $"{service} has no HTTP {probe}.");
            Assert.Equal(path, Str(get["path"]));
            Assert.Contains(Str(get["port"]), portNames);
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Container_runs_as_non_root_on_a_read_only_root_filesystem_within_limits(string service)
    {
        var deployment = overlay.Manifests.Get("Deployment", service);
        var pod = PodSpec(deployment);
        var container = MainContainer(deployment);
        Assert.Equal("true", Str(pod["securityContext"]?["runAsNonRoot"]));
        Assert.NotEqual("0", Str(pod["securityContext"]?["runAsUser"]));
        Assert.Equal("false", Str(pod["automountServiceAccountToken"]));
        Assert.Equal("false", Str(container["securityContext"]?["allowPrivilegeEscalation"]));
        Assert.Equal("true", Str(container["securityContext"]?["readOnlyRootFilesystem"]));
        Assert.Contains("ALL", container["securityContext"]?["capabilities"]?["drop"]?.AsArray().Select(Str) ?? []);
        Assert.Contains(Items(container["volumeMounts"]), m => Str(m["mountPath"]) == "/tmp");
        foreach (var kind in new[] { "requests", "limits" })
        {
            foreach (var resource in new[] { "cpu", "memory" })
            {
                Assert.True(container["resources"]?[kind]?[resource] is not null, $"{service} has no {kind}.{resource}.");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Image_is_what_dotnet_publish_names_the_service_project(string service)
    {
        var project = AppHostModel.DeployedServices.Single(s => s.ResourceName == service).ProjectFolder;
        var csproj = Repository.Read("services", project, $"{project}.csproj");
        var repository = ProjectProperty("ContainerRepository").Match(csproj);
        Assert.True(repository.Success, $"{project}.csproj sets no ContainerRepository.");
        var user = ProjectProperty("ContainerUser").Match(csproj).Groups[1].Value;

        var deployment = overlay.Manifests.Get("Deployment", service);
        var image = Str(MainContainer(deployment)["image"])!;
        // The example overlay pins each image by digest (issue 24 §5).
        Assert.Matches($@"^([a-z0-9.-]+(:\d+)?/)?{Regex.Escape(repository.Groups[1].Value)}@sha256:[0-9a-f]{{64}}$", image);
        Assert.Equal(user, Str(PodSpec(deployment)["securityContext"]?["runAsUser"]));
    }

    [Fact]
    public void Edge_is_scaled_by_a_HorizontalPodAutoscaler_and_keeps_no_fixed_replica_count()
    {
        var autoscaler = overlay.Manifests.Get("HorizontalPodAutoscaler", "edge");
        var target = autoscaler["spec"]!["scaleTargetRef"]!;
        Assert.Equal(("Deployment", "edge"), (Str(target["kind"]), Str(target["name"])));
        Assert.True(int.Parse(Str(autoscaler["spec"]!["maxReplicas"])!) > MinimumReplicas("edge"));
        Assert.Null(overlay.Manifests.Get("Deployment", "edge")["spec"]!["replicas"]);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Rollouts_start_a_new_pod_before_stopping_an_old_one(string service)
    {
        var rolling = overlay.Manifests.Get("Deployment", service)["spec"]!["strategy"]?["rollingUpdate"];
        Assert.Equal("0", Str(rolling?["maxUnavailable"]));
    }

    private int MinimumReplicas(string service)
    {
        var autoscaler = overlay.Manifests.Find("HorizontalPodAutoscaler", service);
        var value = autoscaler is not null
            ? autoscaler["spec"]!["minReplicas"]
            : overlay.Manifests.Get("Deployment", service)["spec"]!["replicas"];
        return value is null ? 1 : int.Parse(Str(value)!);
    }

    private static Regex EndpointConstant(string name) => new($@"{name}\s*=\s*""([^""]+)""");

    private static Regex ProjectProperty(string name) => new($@"<{name}>\s*([^<\s]+)\s*</{name}>");
}
