using System.Text.Json.Nodes;
using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>Every production rule of issue 24 (ProductionRules) holds on every overlay, dev included.</summary>
public abstract class OverlayRulesTests(RenderedOverlay overlay)
{
    public static TheoryData<string> Rules() => [.. ProductionRules.All.Keys];

    [Theory]
    [MemberData(nameof(Rules))]
    public void Rule_holds(string rule)
    {
        var problems = ProductionRules.All[rule].Check(overlay.Manifests).ToList();
        Assert.True(problems.Count == 0, $"{overlay.Path}, rule {rule}:\n{string.Join("\n", problems)}");
    }
}

[Collection(ExampleOverlayCollection.Name)]
public sealed class ExampleOverlayRulesTests(ExampleOverlay overlay) : OverlayRulesTests(overlay)
{
    [Fact]
    public void Every_image_is_pinned_by_digest()
    {
        foreach (var d in overlay.Manifests.OfKind("Deployment"))
        {
            Assert.Matches(ProductionRules.DigestPattern(), Str(MainContainer(d)["image"])!);
        }
    }

    [Fact]
    public void Public_Ingress_routes_the_public_API()
    {
        var ingress = overlay.Manifests.Get("Ingress", "edge");
        string[] api = ["/api/v1/chat/completions", "/api/v1/responses", "/api/v1/models", "/v1/models", "/v1/messages",
            "/v1/messages/count_tokens", "/api/v1/messages", "/v1beta/models/gemini:streamGenerateContent", "/api/v1/key", "/api/v1/credits"];
        Assert.All(api, p => Assert.True(ProductionRules.Routes(ingress, p), $"The Ingress does not route {p}."));
    }

    [Fact]
    public async Task Optional_admin_Ingress_is_valid_routes_admin_only_on_its_own_host_behind_an_allow_list()
    {
        var yaml = Repository.Read("deploy", "kubernetes", "overlays", "example", "ingress-admin.yaml");
        var result = await Validator.ValidateAsync(yaml, emitJson: true);
        Assert.True(result.ExitCode == 0, result.Describe());
        var admin = Manifests.Parse(result.StandardOutput).Get("Ingress", "edge-admin");
        Assert.True(ProductionRules.IsAdminIngress(admin));
        Assert.True(ProductionRules.Routes(admin, "/admin/v1/keys"));
        Assert.False(ProductionRules.Routes(admin, "/health"));
        var publicHosts = Items(overlay.Manifests.Get("Ingress", "edge")["spec"]!["rules"]).Select(r => Str(r["host"])).ToHashSet();
        Assert.DoesNotContain(Items(admin["spec"]!["rules"]), r => publicHosts.Contains(Str(r["host"])));
        Assert.Contains("ingress-admin.yaml", Repository.Read("deploy", "kubernetes", "overlays", "example", "kustomization.yaml"));
    }
}

[Collection(DevOverlayCollection.Name)]
public sealed class DevOverlayRulesTests(DevOverlay overlay) : OverlayRulesTests(overlay);

/// <summary>Each rule notices a manifest broken the way it guards against: the example overlay, rendered, then broken once.</summary>
[Collection(ExampleOverlayCollection.Name)]
public sealed class RuleMutationTests(ExampleOverlay overlay)
{
    public static TheoryData<string, string> Breakages() => new()
    {
        { "seccomp", "billing: seccompProfile removed" },
        { "probes", "edge: readiness on /health" },
        { "grace", "edge: terminationGracePeriodSeconds 120" },
        { "grace", "keypolicy: terminationGracePeriodSeconds 30" },
        { "grace", "Ingress: proxy-read-timeout 600" },
        { "disruption-budgets", "logging: unhealthyPodEvictionPolicy removed" },
        { "egress", "no default-deny egress" },
        { "egress", "edge: metadata address not excepted" },
        { "egress", "billing: egress to the internet" },
        { "egress", "edge: DNS over UDP only" },
        { "egress", "keypolicy: no Redis" },
        { "egress", "console: no Redis" },
        { "egress", "console: no edge" },
        { "ephemeral-storage", "keypolicy: no ephemeral-storage" },
        { "ephemeral-storage", "edge: spool cap above the volume" },
        { "topology", "keypolicy: no zone spread" },
        { "topology", "logging: no anti-affinity" },
        { "autoscaler", "edge HPA on CPU only" },
        { "edge-memory", "edge: memory limit 256Mi" },
        { "edge-memory", "edge: memory request 64Mi" },
        { "service-accounts", "billing: default ServiceAccount" },
        { "image-pull", "edge: IfNotPresent with a mutable tag" },
        { "ingress-paths", "Ingress routes /" },
        { "ingress-paths", "Ingress routes /admin" },
        { "ingress-paths", "console Ingress routes every path" },
    };

    [Theory]
    [MemberData(nameof(Breakages))]
    public void Rule_reports_the_broken_manifest(string rule, string breakage)
    {
        Assert.Empty(ProductionRules.All[rule].Check(overlay.Manifests));
        var broken = Clone(overlay.Manifests);
        Break(broken, breakage);
        Assert.NotEmpty(ProductionRules.All[rule].Check(broken));
    }

    private static Manifests Clone(Manifests m) => Manifests.Parse(new JsonArray(m.Objects.Select(o => o.DeepClone()).ToArray()).ToJsonString());

    private static void Break(Manifests m, string breakage)
    {
        JsonObject Pod(string name) => PodSpec(m.Get("Deployment", name));
        JsonObject Container(string name) => MainContainer(m.Get("Deployment", name));
        JsonObject Policy(string name) => m.Get("NetworkPolicy", name);
        var objects = (List<JsonObject>)m.Objects;
        switch (breakage)
        {
            case "billing: seccompProfile removed": Pod("billing")["securityContext"]!.AsObject().Remove("seccompProfile"); break;
            case "edge: readiness on /health": Container("edge")["readinessProbe"]!["httpGet"]!["path"] = "/health"; break;
            case "edge: terminationGracePeriodSeconds 120": Pod("edge")["terminationGracePeriodSeconds"] = 120; break;
            case "keypolicy: terminationGracePeriodSeconds 30": Pod("keypolicy")["terminationGracePeriodSeconds"] = 30; break;
            case "Ingress: proxy-read-timeout 600":
                m.Get("Ingress", "edge")["metadata"]!["annotations"]!["nginx.ingress.kubernetes.io/proxy-read-timeout"] = "600"; break;
            case "logging: unhealthyPodEvictionPolicy removed": m.Get("PodDisruptionBudget", "logging")["spec"]!.AsObject().Remove("unhealthyPodEvictionPolicy"); break;
            case "no default-deny egress": objects.Remove(Policy("default-deny-egress")); break;
            case "edge: metadata address not excepted":
                var except = Policy("edge-allow-upstream-https")["spec"]!["egress"]![0]!["to"]![0]!["ipBlock"]!["except"]!.AsArray();
                foreach (var x in except.Where(x => Str(x)!.StartsWith("169.254.", StringComparison.Ordinal)).ToList()) except.Remove(x);
                break;
            case "billing: egress to the internet":
                Policy("edge-allow-upstream-https")["spec"]!["podSelector"] = new JsonObject(); break;
            case "edge: DNS over UDP only":
                Policy("allow-dns")["spec"]!["egress"]![0]!["ports"]!.AsArray().RemoveAt(1); break;
            case "keypolicy: no Redis":
                Policy("allow-redis")["spec"]!["podSelector"] = JsonNode.Parse("""{"matchLabels":{"app.kubernetes.io/name":"edge"}}"""); break;
            case "console: no Redis":
                Policy("allow-redis")["spec"]!["podSelector"]!["matchExpressions"]![0]!["values"] = new JsonArray("edge", "keypolicy"); break;
            case "console: no edge": objects.Remove(Policy("console-allow-edge")); break;
            case "keypolicy: no ephemeral-storage":
                Container("keypolicy")["resources"]!["requests"]!.AsObject().Remove("ephemeral-storage"); break;
            case "edge: spool cap above the volume":
                var spool = Items(Pod("edge")["volumes"]).Single(v => Str(v["name"]) == "spool");
                spool["emptyDir"]!["sizeLimit"] = "512Mi"; break;
            case "keypolicy: no zone spread":
                Pod("keypolicy").Remove("topologySpreadConstraints"); break;
            case "logging: no anti-affinity":
                Pod("logging").Remove("affinity"); break;
            case "edge HPA on CPU only":
                var metrics = m.Get("HorizontalPodAutoscaler", "edge")["spec"]!["metrics"]!.AsArray();
                metrics.Remove(metrics.Single(x => Str(x!["type"]) == "Pods")); break;
            case "edge: memory limit 256Mi": Container("edge")["resources"]!["limits"]!["memory"] = "256Mi"; break;
            case "edge: memory request 64Mi": Container("edge")["resources"]!["requests"]!["memory"] = "64Mi"; break;
            case "billing: default ServiceAccount": Pod("billing").Remove("serviceAccountName"); break;
            case "edge: IfNotPresent with a mutable tag":
                Container("edge")["image"] = "registry.example.com/nexrelay/edge:main";
                Container("edge")["imagePullPolicy"] = "IfNotPresent"; break;
            case "Ingress routes /":
                m.Get("Ingress", "edge")["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["path"] = "/"; break;
            case "Ingress routes /admin":
                m.Get("Ingress", "edge")["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["path"] = "/admin"; break;
            // A regular expression from the start of the path: "/" is every path, in any case.
            case "console Ingress routes every path":
                m.Get("Ingress", "console")["spec"]!["rules"]![0]!["http"]!["paths"]![0]!["path"] = "/"; break;
            default: throw new ArgumentException(breakage);
        }
    }
}
