using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>
/// The production rules of issue 24, each a function from rendered manifests to the problems it finds (empty: the rule
/// holds). OverlayRulesTests applies every rule to every overlay; RuleMutationTests breaks the example overlay one way
/// per rule and checks the rule notices, so no rule passes vacuously.
/// </summary>
internal static partial class ProductionRules
{
    public const string ReadinessPath = "/ready";
    public const string LivenessPath = "/alive";
    public const string InFlightMetric = "nexrelay_edge_requests_in_flight";
    public const string SpoolCapSetting = "Edge__SpoolMaxBytes";

    /// <summary>Seconds of grace beyond preStop + the app's shutdown timeout, for the last log lines and the kubelet's own latency.</summary>
    public const int GraceHeadroomSeconds = 10;

    /// <summary>What the edge needs after its streams end: closing credit leases and draining or handing over the spool.</summary>
    public const int EdgeDrainSeconds = 30;

    /// <summary>
    /// The edge's memory, measured by the benchmark (bench/results/latest.md, "Edge memory"): 108 MB resident at start,
    /// 240 MB warmed up by load (the GC keeps its grown heaps), +33 MB with 1,000 streams open (~33 KB each; an earlier
    /// run measured ~23 KB).
    /// </summary>
    public const long EdgeStartBytes = 108_000_000, EdgeWarmBytes = 240_000_000, EdgeBytesPerStream = 33_000;

    /// <summary>The benchmark's open streams on one edge: what a pod must survive before the autoscaler's new pods take load.</summary>
    public const int EdgeBurstStreams = 1_000;

    /// <summary>.NET's HostOptions.ShutdownTimeout default, when DOTNET_shutdownTimeoutSeconds is not set.</summary>
    private const int DefaultShutdownSeconds = 30;

    /// <summary>Where the cloud metadata service and private networks live: the edge's public egress must exclude them.</summary>
    public static readonly string[] ForbiddenRanges =
        ["169.254.169.254/32", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"];

    public static readonly IReadOnlyDictionary<string, (string Name, Func<Manifests, IEnumerable<string>> Check)> All =
        new (string Name, Func<Manifests, IEnumerable<string>> Check)[]
        {
            ("seccomp", Seccomp),
            ("probes", Probes),
            ("grace", Grace),
            ("disruption-budgets", DisruptionBudgets),
            ("egress", Egress),
            ("ephemeral-storage", EphemeralStorage),
            ("topology", Topology),
            ("autoscaler", Autoscaler),
            ("edge-memory", EdgeMemory),
            ("service-accounts", ServiceAccounts),
            ("image-pull", ImagePull),
            ("ingress-paths", IngressPaths),
        }.ToDictionary(r => r.Name, r => r);

    public static IEnumerable<string> NexRelayServices => AppHostModel.DeployedServices.Select(s => s.ResourceName);

    /// <summary>Every pod runs under the runtime's default seccomp profile (pod level, or every container).</summary>
    public static IEnumerable<string> Seccomp(Manifests m)
    {
        foreach (var d in Workloads(m))
        {
            var pod = Str(PodSpec(d)["securityContext"]?["seccompProfile"]?["type"]);
            foreach (var c in Items(PodSpec(d)["containers"]).Concat(Items(PodSpec(d)["initContainers"])))
            {
                var type = Str(c["securityContext"]?["seccompProfile"]?["type"]) ?? pod;
                if (type != "RuntimeDefault") yield return $"{Kind(d)}/{Name(d)} container {Str(c["name"])}: seccompProfile is {type ?? "unset"}, not RuntimeDefault.";
            }
        }
    }

    /// <summary>Readiness on /ready (what the pod itself needs to serve), liveness and startup on /alive.</summary>
    public static IEnumerable<string> Probes(Manifests m)
    {
        foreach (var service in NexRelayServices)
        {
            var container = MainContainer(m.Get("Deployment", service));
            foreach (var (probe, path) in new[] { ("readinessProbe", ReadinessPath), ("livenessProbe", LivenessPath), ("startupProbe", LivenessPath) })
            {
                var actual = Str(container[probe]?["httpGet"]?["path"]);
                if (actual != path) yield return $"{service}: {probe} is on {actual ?? "nothing"}, not {path}.";
            }
        }
    }

    /// <summary>
    /// terminationGracePeriodSeconds ≥ preStop + the app's shutdown timeout + headroom, for every service. For the edge,
    /// the shutdown timeout also covers the longest stream the Ingress keeps open (its proxy-read-timeout) plus the
    /// spool drain.
    /// </summary>
    public static IEnumerable<string> Grace(Manifests m)
    {
        foreach (var service in NexRelayServices)
        {
            var d = m.Get("Deployment", service);
            var grace = IntOf(PodSpec(d)["terminationGracePeriodSeconds"]) ?? 30;
            var preStop = PreStopSeconds(MainContainer(d));
            var shutdown = ShutdownSeconds(m, d);
            if (grace < preStop + shutdown + GraceHeadroomSeconds)
            {
                yield return $"{service}: terminationGracePeriodSeconds {grace} < preStop {preStop} + DOTNET_shutdownTimeoutSeconds {shutdown} + {GraceHeadroomSeconds} s headroom.";
            }
            if (service != "edge") continue;
            foreach (var (ingress, streamSeconds) in IngressStreamTimeouts(m))
            {
                if (shutdown < streamSeconds + EdgeDrainSeconds)
                {
                    yield return $"edge: DOTNET_shutdownTimeoutSeconds {shutdown} < Ingress {ingress}'s proxy-read-timeout {streamSeconds} + {EdgeDrainSeconds} s to drain the spool: a rollout cuts streams the Ingress still allows.";
                }
            }
        }
    }

    /// <summary>Every PodDisruptionBudget lets NotReady pods be evicted, so they never block a node drain.</summary>
    public static IEnumerable<string> DisruptionBudgets(Manifests m)
    {
        foreach (var budget in m.OfKind("PodDisruptionBudget"))
        {
            if (Str(budget["spec"]?["unhealthyPodEvictionPolicy"]) != "AlwaysAllow")
                yield return $"PodDisruptionBudget {Name(budget)}: unhealthyPodEvictionPolicy is not AlwaysAllow.";
        }
        foreach (var service in NexRelayServices)
        {
            var pods = PodLabels(m.Get("Deployment", service));
            if (!m.OfKind("PodDisruptionBudget").Any(b => Selects(b["spec"]?["selector"], pods)))
                yield return $"{service}: no PodDisruptionBudget selects its pods.";
        }
    }

    /// <summary>
    /// Default-deny egress; DNS and the collector for every pod; the backing-service ports each service uses; every rule
    /// names its ports; public addresses for the edge alone, on 443, never the metadata address or private ranges.
    /// </summary>
    public static IEnumerable<string> Egress(Manifests m)
    {
        if (!m.OfKind("NetworkPolicy").Any(p => p["spec"]?["podSelector"] is JsonObject { Count: 0 }
                && PolicyTypes(p).Contains("Egress") && p["spec"]?["egress"] is null or JsonArray { Count: 0 }))
        {
            yield return "No default-deny egress NetworkPolicy (podSelector {}, policyTypes [Egress], no rules).";
        }

        var needs = new Dictionary<string, int[]>
        {
            ["edge"] = [53, 4317, 6379, 5672, 443, 8080],
            ["billing"] = [53, 4317, 5432, 5672],
            ["keypolicy"] = [53, 4317, 5432, 6379, 5672],
            ["logging"] = [53, 4317, 5432, 5672],
            // The console: the edge's APIs, and Redis for its Data Protection key ring.
            ["console"] = [53, 4317, 6379, 8080],
        };
        foreach (var d in m.OfKind("Deployment"))
        {
            var rules = EgressRules(m, d).ToList();
            if (!RulesAllow(rules, 53, "UDP") || !RulesAllow(rules, 53, "TCP")) yield return $"{Name(d)}: DNS (53 UDP and TCP) is not allowed.";
            foreach (var port in needs.GetValueOrDefault(Name(d), []))
            {
                if (!RulesAllow(rules, port, "TCP")) yield return $"{Name(d)}: egress to TCP {port} is not allowed.";
            }
            foreach (var rule in rules)
            {
                if (rule["ports"] is not JsonArray { Count: > 0 }) yield return $"{Name(d)}: an egress rule allows every port.";
                if (rule["to"] is not JsonArray { Count: > 0 }) yield return $"{Name(d)}: an egress rule allows every destination.";
                foreach (var block in Items(rule["to"]).Select(t => t["ipBlock"]).OfType<JsonObject>())
                {
                    var cidr = Str(block["cidr"])!;
                    var except = block["except"] is JsonArray e ? e.Select(Str).ToList() : [];
                    var isPublic = IPNetwork.Parse(cidr).PrefixLength <= 8;
                    if (!isPublic) continue;
                    if (Name(d) != "edge") yield return $"{Name(d)}: egress to {cidr}; only the edge reaches public addresses.";
                    if (Items(rule["ports"]).Any(p => Str(p["port"]) != "443")) yield return $"{Name(d)}: egress to {cidr} on ports other than 443.";
                    var family = IPNetwork.Parse(cidr).BaseAddress.AddressFamily;
                    var required = family == System.Net.Sockets.AddressFamily.InterNetwork ? ForbiddenRanges : ["fc00::/7", "fe80::/10"];
                    foreach (var range in required)
                    {
                        var forbidden = IPNetwork.Parse(range);
                        if (!except.Any(x => Covers(IPNetwork.Parse(x!), forbidden)))
                            yield return $"{Name(d)}: egress to {cidr} does not except {range}.";
                    }
                }
            }
        }
    }

    /// <summary>Every container requests and limits ephemeral storage, at least its emptyDir volumes; the edge's spool cap fits its volume.</summary>
    public static IEnumerable<string> EphemeralStorage(Manifests m)
    {
        foreach (var d in m.OfKind("Deployment"))
        {
            var container = MainContainer(d);
            var request = Quantity(container["resources"]?["requests"]?["ephemeral-storage"]);
            var limit = Quantity(container["resources"]?["limits"]?["ephemeral-storage"]);
            if (request is null || limit is null) { yield return $"{Name(d)}: no ephemeral-storage request and limit."; continue; }
            var volumes = Items(PodSpec(d)["volumes"]).Select(v => Quantity(v["emptyDir"]?["sizeLimit"]) ?? 0).Sum();
            if (request < volumes) yield return $"{Name(d)}: ephemeral-storage request {request} is below its emptyDir sizeLimits ({volumes}).";
            if (limit < request) yield return $"{Name(d)}: ephemeral-storage limit below the request.";
        }

        var edge = m.Find("Deployment", "edge");
        if (edge is null) yield break;
        var settings = new ContainerSettings(m, edge);
        var spoolPath = settings.Find("Edge__SpoolPath")?.Value;
        var cap = long.TryParse(settings.Find(SpoolCapSetting)?.Value, out var c) ? c : (long?)null;
        var mount = Items(MainContainer(edge)["volumeMounts"]).FirstOrDefault(v => Str(v["mountPath"]) == spoolPath);
        var size = Quantity(Items(PodSpec(edge)["volumes"]).FirstOrDefault(v => mount is not null && Str(v["name"]) == Str(mount["name"]))?["emptyDir"]?["sizeLimit"]);
        if (cap is null) yield return $"edge: no {SpoolCapSetting} (the spool's size cap).";
        else if (size is null) yield return "edge: the spool volume has no sizeLimit.";
        else if (cap > size) yield return $"edge: {SpoolCapSetting} {cap} exceeds the spool volume's sizeLimit {size}: the kubelet would evict the pod before the cap applies.";
    }

    /// <summary>Zone spread for every Deployment with more than one replica; billing and logging never share a node.</summary>
    public static IEnumerable<string> Topology(Manifests m)
    {
        foreach (var d in m.OfKind("Deployment"))
        {
            var pods = PodLabels(d);
            var hpa = m.OfKind("HorizontalPodAutoscaler").FirstOrDefault(h => Str(h["spec"]?["scaleTargetRef"]?["name"]) == Name(d));
            var replicas = hpa is not null ? IntOf(hpa["spec"]?["maxReplicas"]) ?? 1 : IntOf(d["spec"]?["replicas"]) ?? 1;
            if (replicas > 1 && !Items(PodSpec(d)["topologySpreadConstraints"]).Any(t =>
                    Str(t["topologyKey"]) == "topology.kubernetes.io/zone" && Selects(t["labelSelector"], pods)))
            {
                yield return $"{Name(d)}: {replicas} replicas and no zone topologySpreadConstraint selecting its pods.";
            }
            if (Name(d) is "billing" or "logging" && !Items(PodSpec(d)["affinity"]?["podAntiAffinity"]?["requiredDuringSchedulingIgnoredDuringExecution"])
                    .Any(t => Str(t["topologyKey"]) == "kubernetes.io/hostname" && Selects(t["labelSelector"], pods)))
            {
                yield return $"{Name(d)}: replicas may share a node (no required podAntiAffinity on kubernetes.io/hostname).";
            }
        }
    }

    /// <summary>The edge scales on requests in flight (a Pods metric) and CPU.</summary>
    public static IEnumerable<string> Autoscaler(Manifests m)
    {
        var hpa = m.Find("HorizontalPodAutoscaler", "edge");
        if (hpa is null) { yield return "No HorizontalPodAutoscaler for the edge."; yield break; }
        var metrics = Items(hpa["spec"]?["metrics"]).ToList();
        if (!metrics.Any(x => Str(x["type"]) == "Pods" && Str(x["pods"]?["metric"]?["name"]) == InFlightMetric && x["pods"]?["target"]?["averageValue"] is not null))
            yield return $"edge HPA: no Pods metric {InFlightMetric} with an averageValue target.";
        if (!metrics.Any(x => Str(x["type"]) == "Resource" && Str(x["resource"]?["name"]) == "cpu"))
            yield return "edge HPA: no CPU metric.";
    }

    /// <summary>
    /// The edge's memory follows its open streams: the request covers a pod at the autoscaler's in-flight target (start
    /// size + target × per-stream cost), the limit a warmed-up pod holding the benchmark's burst of streams, so a pod scales
    /// out long before it is OOM-killed.
    /// </summary>
    public static IEnumerable<string> EdgeMemory(Manifests m)
    {
        var edge = m.Find("Deployment", "edge");
        var hpa = m.Find("HorizontalPodAutoscaler", "edge");
        if (edge is null || hpa is null) yield break;
        var target = Items(hpa["spec"]?["metrics"]).Where(x => Str(x["pods"]?["metric"]?["name"]) == InFlightMetric)
            .Select(x => Quantity(x["pods"]?["target"]?["averageValue"])).FirstOrDefault() ?? 0;
        var resources = MainContainer(edge)["resources"];
        var request = Quantity(resources?["requests"]?["memory"]);
        var limit = Quantity(resources?["limits"]?["memory"]);
        var atTarget = EdgeStartBytes + target * EdgeBytesPerStream;
        var atBurst = EdgeWarmBytes + Math.Max(target, EdgeBurstStreams) * EdgeBytesPerStream;
        if (request is null || request < atTarget)
            yield return $"edge: memory request {request} is below {atTarget} (start {EdgeStartBytes} + HPA target {target} streams × {EdgeBytesPerStream}).";
        if (limit is null || limit < atBurst)
            yield return $"edge: memory limit {limit} is below {atBurst} (warmed up {EdgeWarmBytes} + {Math.Max(target, EdgeBurstStreams)} streams × {EdgeBytesPerStream}).";
    }

    /// <summary>Each service runs under a ServiceAccount of its own that mounts no token.</summary>
    public static IEnumerable<string> ServiceAccounts(Manifests m)
    {
        foreach (var service in NexRelayServices)
        {
            var pod = PodSpec(m.Get("Deployment", service));
            var name = Str(pod["serviceAccountName"]);
            var account = name is null ? null : m.Find("ServiceAccount", name);
            if (name != service || account is null) { yield return $"{service}: does not run under a ServiceAccount {service} of the manifests."; continue; }
            if (Str(account["automountServiceAccountToken"]) != "false") yield return $"ServiceAccount {name}: automountServiceAccountToken is not false.";
            if (Str(pod["automountServiceAccountToken"]) != "false") yield return $"{service}: the pod mounts a service account token.";
        }
    }

    /// <summary>A node reuses a cached image (IfNotPresent, explicit or Kubernetes' default for a tag) only when it is immutable: a digest or a version tag.</summary>
    public static IEnumerable<string> ImagePull(Manifests m)
    {
        foreach (var d in m.OfKind("Deployment"))
        {
            foreach (var c in Items(PodSpec(d)["containers"]))
            {
                var image = Str(c["image"])!;
                var digest = DigestPattern().IsMatch(image);
                var colon = image.LastIndexOf(':');
                var tag = !digest && colon > image.LastIndexOf('/') ? image[(colon + 1)..] : null;
                var policy = Str(c["imagePullPolicy"]) ?? (digest || (tag is not null && tag != "latest") ? "IfNotPresent" : "Always");
                if (policy == "IfNotPresent" && !digest && !(tag is not null && VersionTag().IsMatch(tag)))
                    yield return $"{Name(d)}: image {image} is pulled IfNotPresent under a mutable tag; pin a digest or a version tag.";
            }
        }
    }

    /// <summary>
    /// No Ingress routes what is the cluster's own: /health (with exception text), /alive, /ready and /metrics, in any letter
    /// case (ASP.NET Core routes case-insensitively). Only an admin Ingress (an allow-list) routes the admin API (/admin/v1).
    /// </summary>
    public static IEnumerable<string> IngressPaths(Manifests m)
    {
        string[] cluster = ["/health", "/alive", "/ready", "/metrics", "/Health", "/READY", "/Metrics"];
        string[] admin = ["/admin/v1/keys", "/admin/v1/wallets"];
        foreach (var ingress in m.OfKind("Ingress"))
        {
            foreach (var path in (IsAdminIngress(ingress) ? cluster : [.. cluster, .. admin]).Where(p => Routes(ingress, p)))
                yield return $"Ingress {Name(ingress)} routes {path} to {RouteBackend(ingress, path)}.";
        }
    }

    /// <summary>
    /// An Ingress behind an allow-list that does not route the public API: the admin API's (ingress-admin.yaml) or the
    /// console's operator pages' (ingress-console-admin.yaml).
    /// </summary>
    public static bool IsAdminIngress(JsonObject ingress) =>
        ingress["metadata"]?["annotations"]?["nginx.ingress.kubernetes.io/whitelist-source-range"] is not null
        && !Routes(ingress, "/v1/messages");

    public static bool Routes(JsonObject ingress, string requestPath) => MatchingPaths(ingress, requestPath).Any();

    /// <summary>The Service the Ingress sends a request path to (its first matching path's), or null.</summary>
    public static string? RouteBackend(JsonObject ingress, string requestPath) =>
        MatchingPaths(ingress, requestPath).Select(p => Str(p["backend"]?["service"]?["name"])).FirstOrDefault();

    private static IEnumerable<JsonObject> MatchingPaths(JsonObject ingress, string requestPath)
    {
        // ingress-nginx's use-regex: each path (but an Exact one) is a regular expression matched from the start of the
        // request path and regardless of case (location ~* "^<path>"); a request no path matches goes to the default backend.
        var regex = Str(ingress["metadata"]?["annotations"]?["nginx.ingress.kubernetes.io/use-regex"]) == "true";
        return Items(ingress["spec"]?["rules"]).SelectMany(r => Items(r["http"]?["paths"])).Where(p =>
        {
            var path = Str(p["path"]) ?? "/";
            return Str(p["pathType"]) switch
            {
                "Exact" => requestPath == path,
                _ when regex => Regex.IsMatch(requestPath, "^" + path, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant),
                // Prefix: element-wise on '/', so /v1 matches /v1/models but not /v1beta.
                _ => path == "/" || requestPath == path.TrimEnd('/') || requestPath.StartsWith(path.TrimEnd('/') + "/", StringComparison.Ordinal),
            };
        });
    }

    // --- helpers ---

    public static IEnumerable<JsonObject> EgressRules(Manifests m, JsonObject deployment)
    {
        var labels = PodLabels(deployment);
        return m.OfKind("NetworkPolicy")
            .Where(p => Selects(p["spec"]!["podSelector"], labels) && PolicyTypes(p).Contains("Egress"))
            .SelectMany(p => Items(p["spec"]!["egress"]));
    }

    public static bool RuleAllowsPort(JsonObject rule, int port, string protocol) =>
        rule["ports"] is not JsonArray { Count: > 0 } ports
        || ports.OfType<JsonObject>().Any(p => (Str(p["protocol"]) ?? "TCP") == protocol && (p["port"] is null || Str(p["port"]) == port.ToString()));

    private static bool RulesAllow(IEnumerable<JsonObject> rules, int port, string protocol) => rules.Any(r => RuleAllowsPort(r, port, protocol));

    private static IReadOnlyList<string?> PolicyTypes(JsonObject policy) =>
        policy["spec"]?["policyTypes"] is JsonArray types ? types.Select(Str).ToList()
            : policy["spec"]?["egress"] is not null ? ["Ingress", "Egress"] : ["Ingress"];

    private static bool Covers(IPNetwork outer, IPNetwork inner) =>
        outer.BaseAddress.AddressFamily == inner.BaseAddress.AddressFamily && outer.PrefixLength <= inner.PrefixLength && outer.Contains(inner.BaseAddress);

    private static IEnumerable<JsonObject> Workloads(Manifests m) =>
        m.Objects.Where(o => Str(o["kind"]) is "Deployment" or "StatefulSet" or "DaemonSet" or "Job" && o["spec"]?["template"] is not null);

    private static string Kind(JsonObject o) => Str(o["kind"]) ?? "?";

    private static int? IntOf(JsonNode? node) => int.TryParse(Str(node), out var v) ? v : null;

    private static int PreStopSeconds(JsonObject container) => IntOf(container["lifecycle"]?["preStop"]?["sleep"]?["seconds"]) ?? 0;

    private static int ShutdownSeconds(Manifests m, JsonObject deployment) =>
        int.TryParse(new ContainerSettings(m, deployment).Find("DOTNET_shutdownTimeoutSeconds")?.Value, out var s) ? s : DefaultShutdownSeconds;

    private static IEnumerable<(string Ingress, int Seconds)> IngressStreamTimeouts(Manifests m) =>
        m.OfKind("Ingress").Where(i => !IsAdminIngress(i) && Str(i["spec"]?["rules"]?[0]?["http"]?["paths"]?[0]?["backend"]?["service"]?["name"]) == "edge")
            .Select(i => (Name(i), IntOf(i["metadata"]?["annotations"]?["nginx.ingress.kubernetes.io/proxy-read-timeout"]) ?? 60));

    /// <summary>A Kubernetes quantity in bytes (Ki, Mi, Gi, K, M, G or plain).</summary>
    public static long? Quantity(JsonNode? node)
    {
        var text = Str(node);
        if (text is null) return null;
        var match = QuantityPattern().Match(text);
        if (!match.Success) throw new Xunit.Sdk.XunitException($"Cannot read the quantity {text}.");
        var factor = match.Groups[2].Value switch
        {
            "" => 1L, "Ki" => 1L << 10, "Mi" => 1L << 20, "Gi" => 1L << 30, "Ti" => 1L << 40,
            "K" or "k" => 1_000L, "M" => 1_000_000L, "G" => 1_000_000_000L, "T" => 1_000_000_000_000L,
            var unit => throw new Xunit.Sdk.XunitException($"Unknown quantity unit {unit}."),
        };
        return (long)(decimal.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) * factor);
    }

    [GeneratedRegex(@"^(\d+(?:\.\d+)?)([KMGT]i?|k)?$")]
    private static partial Regex QuantityPattern();

    [GeneratedRegex(@"@sha256:[0-9a-f]{64}$")]
    public static partial Regex DigestPattern();

    // 1.0.0, v1.2, 1.0.0-rc.1: a release tag, not dev, main or latest.
    [GeneratedRegex(@"^v?\d+(\.\d+)+([-+][\w.]+)?$")]
    private static partial Regex VersionTag();
}
