using System.Text.Json.Nodes;
using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>The rendered NetworkPolicies, evaluated for ingress to each Deployment's pods on its HTTP port.</summary>
[Collection(ExampleOverlayCollection.Name)]
public sealed class NetworkPolicyTests(ExampleOverlay overlay)
{
    [Fact]
    public void Only_the_edge_and_the_console_are_reachable_from_outside_the_namespace_and_only_from_the_Ingress_controller()
    {
        var reachable = Deployments().Where(d => NetworkPolicies.Allows(overlay.Manifests, d, Peer.IngressController)).Select(Name).Order().ToList();
        Assert.Equal(["console", "edge"], reachable);
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
        var console = Peer.PodOf(overlay.Manifests.Get("Deployment", "console"));
        foreach (var deployment in Deployments().Where(d => Name(d) is not ("edge" or "console")))
        {
            Assert.True(NetworkPolicies.Allows(overlay.Manifests, deployment, edge), $"The edge cannot reach {Name(deployment)}.");
            Assert.False(NetworkPolicies.Allows(overlay.Manifests, deployment, Peer.Stranger), $"Any pod in the namespace can reach {Name(deployment)}.");
            Assert.False(NetworkPolicies.Allows(overlay.Manifests, deployment, console), $"The console can reach {Name(deployment)}, not only the edge.");
        }
    }

    /// <summary>
    /// The console is a client of the edge like any other (docs/architecture.md, "Console"): people reach it through the
    /// Ingress controller, and it reaches the edge's HTTP port (and Redis, its key ring), never billing, keypolicy or logging.
    /// </summary>
    [Fact]
    public void Console_is_reached_through_the_Ingress_controller_and_reaches_the_edge_and_no_other_service()
    {
        var console = overlay.Manifests.Get("Deployment", "console");
        var edge = overlay.Manifests.Get("Deployment", "edge");
        Assert.True(NetworkPolicies.Allows(overlay.Manifests, console, Peer.IngressController));
        Assert.False(NetworkPolicies.Allows(overlay.Manifests, console, Peer.Stranger), "Any pod in the namespace can reach the console.");
        Assert.False(NetworkPolicies.Allows(overlay.Manifests, console, Peer.PodOf(edge)), "The edge can reach the console; nothing calls it.");
        Assert.True(NetworkPolicies.Allows(overlay.Manifests, edge, Peer.PodOf(console)), "The edge does not accept the console.");

        var egress = ProductionRules.EgressRules(overlay.Manifests, console).ToList();
        Assert.Contains(egress, r => Items(r["to"]).Any(t => Selects(t["podSelector"], PodLabels(edge))) && ProductionRules.RuleAllowsPort(r, 8080, "TCP"));
        foreach (var other in Deployments().Where(d => Name(d) is not ("edge" or "console")))
        {
            Assert.DoesNotContain(egress, r => Items(r["to"]).Any(t => Selects(t["podSelector"], PodLabels(other))));
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
