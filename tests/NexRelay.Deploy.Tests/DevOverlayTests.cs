using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>overlays/dev: the base plus the simulated provider as the only upstream.</summary>
[Collection(DevOverlayCollection.Name)]
public sealed class DevOverlayTests(DevOverlay overlay)
{
    [Fact]
    public void Dev_overlay_renders_and_every_object_validates()
    {
        Assert.Contains(overlay.Manifests.OfKind("Deployment"), d => Name(d) == "simulated-provider");
    }

    [Fact]
    public void Simulated_provider_is_reachable_from_the_edge_only()
    {
        var simulator = overlay.Manifests.Get("Deployment", "simulated-provider");
        Assert.True(NetworkPolicies.Allows(overlay.Manifests, simulator, Peer.PodOf(overlay.Manifests.Get("Deployment", "edge"))));
        Assert.False(NetworkPolicies.Allows(overlay.Manifests, simulator, Peer.Stranger));
        Assert.False(NetworkPolicies.Allows(overlay.Manifests, simulator, Peer.Outside));
        var reachable = overlay.Manifests.OfKind("Deployment").Where(d => NetworkPolicies.Allows(overlay.Manifests, d, Peer.IngressController)).Select(Name).Order();
        Assert.Equal(["console", "edge"], reachable);
        Assert.Contains(ProductionRules.EgressRules(overlay.Manifests, overlay.Manifests.Get("Deployment", "edge")),
            r => Items(r["to"]).Any(t => Selects(t["podSelector"], PodLabels(simulator))) && ProductionRules.RuleAllowsPort(r, 8080, "TCP"));
    }

    [Fact]
    public void Dev_catalog_sends_every_provider_to_the_simulated_provider_Service()
    {
        var settings = new ContainerSettings(overlay.Manifests, overlay.Manifests.Get("Deployment", "edge"));
        var port = Str(overlay.Manifests.Get("Service", "simulated-provider")["spec"]!["ports"]![0]!["port"]);
        var baseUrls = settings.Section("NexRelay:Catalog:Providers").Where(s => s.Name.EndsWith(":BaseUrl", StringComparison.OrdinalIgnoreCase)).ToList();
        Assert.NotEmpty(baseUrls);
        Assert.All(baseUrls, u => Assert.StartsWith($"http://simulated-provider:{port}/", u.Value));
        Assert.All(settings.All.Where(s => s.Name.EndsWith("__ApiKey", StringComparison.Ordinal)), s => Assert.Equal(SettingSource.Secret, s.Source));
    }
}
