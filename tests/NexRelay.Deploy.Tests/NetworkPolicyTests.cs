using System.Text.Json.Nodes;
using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>Evaluates the rendered NetworkPolicies as a cluster would, for ingress to each Deployment's pods on its HTTP port.</summary>
[Collection(ExampleOverlayCollection.Name)]
public sealed class NetworkPolicyTests(ExampleOverlay overlay)
{
    private const string Edge = "edge";

    /// <summary>A pod in another namespace (or a load balancer, or an ingress controller).</summary>
    private static readonly Peer Outside = new(InNamespace: false, new Dictionary<string, string> { ["app"] = "anything" });

    /// <summary>Some other pod in NexRelay's namespace.</summary>
    private static readonly Peer Stranger = new(InNamespace: true, new Dictionary<string, string> { ["app.kubernetes.io/name"] = "debug-shell" });

    [Fact]
    public void Only_the_edge_is_reachable_from_outside_the_namespace()
    {
        var reachable = Deployments().Where(d => Allows(d, Outside)).Select(Name).Order().ToList();
        Assert.Equal([Edge], reachable);
    }

    [Fact]
    public void Internal_services_accept_the_edge_and_no_other_pod()
    {
        var edgePod = new Peer(InNamespace: true, PodLabels(overlay.Manifests.Get("Deployment", Edge)));
        foreach (var deployment in Deployments().Where(d => Name(d) != Edge))
        {
            Assert.True(Allows(deployment, edgePod), $"The edge cannot reach {Name(deployment)}.");
            Assert.False(Allows(deployment, Stranger), $"Any pod in the namespace can reach {Name(deployment)}.");
        }
    }

    [Fact]
    public void Ingress_is_denied_by_default_in_the_namespace()
    {
        var denyAll = overlay.Manifests.OfKind("NetworkPolicy").Where(p =>
            p["spec"]?["podSelector"] is JsonObject { Count: 0 } && p["spec"]?["ingress"] is null or JsonArray { Count: 0 });
        Assert.NotEmpty(denyAll);
    }

    private IEnumerable<JsonObject> Deployments() => overlay.Manifests.OfKind("Deployment");

    private bool Allows(JsonObject deployment, Peer peer)
    {
        var labels = PodLabels(deployment);
        var port = MainContainer(deployment)["ports"]!.AsArray()[0]!;
        var policies = overlay.Manifests.OfKind("NetworkPolicy")
            .Where(p => Selects(p["spec"]!["podSelector"], labels) && AppliesToIngress(p["spec"]!.AsObject()))
            .ToList();
        if (policies.Count == 0) return true; // not isolated

        return policies.SelectMany(p => Items(p["spec"]!["ingress"]))
            .Any(rule => PortMatches(rule, port) && PeerMatches(rule, peer));
    }

    private static bool AppliesToIngress(JsonObject spec) =>
        spec["policyTypes"] is JsonArray types ? types.Any(t => Str(t) == "Ingress") : true;

    private static bool PortMatches(JsonObject rule, JsonNode containerPort)
    {
        if (rule["ports"] is not JsonArray { Count: > 0 } ports) return true;
        return ports.OfType<JsonObject>().Any(p => p["port"] is null
            || Str(p["port"]) == Str(containerPort["containerPort"])
            || Str(p["port"]) == Str(containerPort["name"]));
    }

    private static bool PeerMatches(JsonObject rule, Peer peer)
    {
        if (rule["from"] is not JsonArray { Count: > 0 } from) return true;
        return from.OfType<JsonObject>().Any(p =>
            // Any namespaceSelector or ipBlock is counted as open to other namespaces: a conservative reading.
            p["namespaceSelector"] is not null || p["ipBlock"] is not null
            || (peer.InNamespace && Selects(p["podSelector"], peer.Labels)));
    }

    private sealed record Peer(bool InNamespace, IReadOnlyDictionary<string, string> Labels);
}
