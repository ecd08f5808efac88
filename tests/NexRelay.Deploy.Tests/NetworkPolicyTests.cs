using System.Text.Json.Nodes;
using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>The rendered NetworkPolicies, evaluated for ingress to each Deployment's pods on its HTTP port.</summary>
[Collection(ExampleOverlayCollection.Name)]
public sealed class NetworkPolicyTests(ExampleOverlay overlay)
{
    [Fact]
    public void Only_the_edge_is_reachable_from_outside_the_namespace_and_only_from_the_Ingress_controller()
    {
        var reachable = Deployments().Where(d => NetworkPolicies.Allows(overlay.Manifests, d, Peer.IngressController)).Select(Name).ToList();
        Assert.Equal(["edge"], reachable);
        Assert.Empty(Deployments().Where(d => NetworkPolicies.Allows(overlay.Manifests, d, Peer.Outside)).Select(Name));
        Assert.False(NetworkPolicies.Allows(overlay.Manifests, overlay.Manifests.Get("Deployment", "edge"), Peer.Stranger),
            "Any pod in the namespace can reach the edge.");
    }

    [Fact]
    public void Edge_pods_reach_one_another_for_the_spool_handoff()
    {
        var edge = overlay.Manifests.Get("Deployment", "edge");
        Assert.True(NetworkPolicies.Allows(overlay.Manifests, edge, Peer.PodOf(edge)));
    }

    [Fact]
    public void Internal_services_accept_the_edge_and_no_other_pod()
    {
        var edge = Peer.PodOf(overlay.Manifests.Get("Deployment", "edge"));
        foreach (var deployment in Deployments().Where(d => Name(d) != "edge"))
        {
            Assert.True(NetworkPolicies.Allows(overlay.Manifests, deployment, edge), $"The edge cannot reach {Name(deployment)}.");
            Assert.False(NetworkPolicies.Allows(overlay.Manifests, deployment, Peer.Stranger), $"Any pod in the namespace can reach {Name(deployment)}.");
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
}
