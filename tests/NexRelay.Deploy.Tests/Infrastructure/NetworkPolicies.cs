using System.Text.Json.Nodes;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>Who may open a connection to a pod: in NexRelay's namespace (with these labels) or in another namespace.</summary>
internal sealed record Peer(bool InNamespace, IReadOnlyDictionary<string, string> Labels, string? Namespace = null)
{
    /// <summary>A pod in some other namespace (not the Ingress controller's).</summary>
    public static Peer Outside { get; } = new(InNamespace: false, new Dictionary<string, string> { ["app"] = "anything" }, "elsewhere");

    /// <summary>The ingress-nginx controller, in its own namespace.</summary>
    public static Peer IngressController { get; } = new(InNamespace: false,
        new Dictionary<string, string> { ["app.kubernetes.io/name"] = "ingress-nginx" }, "ingress-nginx");

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
            .Any(rule => PortMatches(rule, port) && PeerMatches(rule, peer, Str(deployment["metadata"]?["namespace"]) ?? "default"));
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

    private static bool PeerMatches(JsonObject rule, Peer peer, string ownNamespace)
    {
        if (rule["from"] is not JsonArray { Count: > 0 } from) return true;
        return from.OfType<JsonObject>().Any(p =>
        {
            // An ipBlock is counted as open to every peer outside the namespace: a conservative reading.
            if (p["ipBlock"] is not null) return !peer.InNamespace;
            if (p["namespaceSelector"] is JsonNode namespaces)
            {
                // A namespace is matched by its kubernetes.io/metadata.name label, which every namespace carries. (An
                // empty namespaceSelector matches every namespace.)
                var peerNamespace = peer.InNamespace ? ownNamespace : peer.Namespace ?? "elsewhere";
                var namespaceMatches = Selects(namespaces, new Dictionary<string, string> { ["kubernetes.io/metadata.name"] = peerNamespace });
                return namespaceMatches && (p["podSelector"] is null || Selects(p["podSelector"], peer.Labels));
            }
            return peer.InNamespace && Selects(p["podSelector"], peer.Labels);
        });
    }
}
