using System.Text.Json.Nodes;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>Who may open a connection to a pod: in NexRelay's namespace (with these labels) or outside it.</summary>
internal sealed record Peer(bool InNamespace, IReadOnlyDictionary<string, string> Labels)
{
    /// <summary>A pod in another namespace, a load balancer or an ingress controller.</summary>
    public static Peer Outside { get; } = new(InNamespace: false, new Dictionary<string, string> { ["app"] = "anything" });

    /// <summary>Some other pod in NexRelay's namespace.</summary>
    public static Peer Stranger { get; } = new(InNamespace: true, new Dictionary<string, string> { ["app.kubernetes.io/name"] = "debug-shell" });

    public static Peer PodOf(JsonObject deployment) => new(InNamespace: true, PodLabels(deployment));
}

/// <summary>Evaluates rendered NetworkPolicies as a cluster does, for ingress to a Deployment's pods on its first container port.</summary>
internal static class NetworkPolicies
{
    public static bool Allows(Manifests manifests, JsonObject deployment, Peer peer)
    {
        var labels = PodLabels(deployment);
        var port = MainContainer(deployment)["ports"]!.AsArray()[0]!;
        var policies = manifests.OfKind("NetworkPolicy")
            .Where(p => Selects(p["spec"]!["podSelector"], labels) && AppliesToIngress(p["spec"]!.AsObject()))
            .ToList();
        if (policies.Count == 0) return true; // not isolated

        return policies.SelectMany(p => Items(p["spec"]!["ingress"]))
            .Any(rule => PortMatches(rule, port) && PeerMatches(rule, peer));
    }

    private static bool AppliesToIngress(JsonObject spec) =>
        spec["policyTypes"] is not JsonArray types || types.Any(t => Str(t) == "Ingress");

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
}
