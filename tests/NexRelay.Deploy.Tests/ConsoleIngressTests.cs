using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>
/// The console's Ingresses in the example overlay (ingress-console.yaml, and the optional ingress-console-admin.yaml): every
/// page of services/NexRelay.Console and its assets reach the console, the operators' pages only behind the allow-list, and
/// nothing the cluster uses (/health, /alive, /ready, /metrics) in any letter case.
/// </summary>
[Collection(ExampleOverlayCollection.Name)]
public sealed partial class ConsoleIngressTests(ExampleOverlay overlay)
{
    private static readonly string ConsoleFolder = Repository.PathOf("services", "NexRelay.Console");

    /// <summary>The console's routes as a browser requests them: its @page directives and mapped endpoints, with values in the parameters.</summary>
    public static TheoryData<string> Pages()
    {
        var pages = SourceFiles("*.razor").SelectMany(f => PageDirective().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value))
            .Concat(SourceFiles("*.cs").SelectMany(f => MappedEndpoint().Matches(File.ReadAllText(f)).Select(m => m.Groups[1].Value)))
            .Select(route => GuidParameter().Replace(route, "0b7a4f2e-5c1d-4e8a-9f3b-2d6c8e1a7b90"))
            .Select(route => Parameter().Replace(route, "req_01"))
            .Distinct().Order().ToList();
        Assert.Contains("/signin", pages);
        return [.. pages];
    }

    /// <summary>The assets the console's pages load (App.razor), and its own wwwroot files by name and by fingerprinted name.</summary>
    public static TheoryData<string> Assets()
    {
        var app = File.ReadAllText(Path.Combine(ConsoleFolder, "Components", "App.razor"));
        var assets = AssetReference().Matches(app).Select(m => "/" + (m.Groups[1].Success ? m.Groups[1].Value : m.Groups[2].Value)).ToList();
        foreach (var file in Directory.EnumerateFiles(Path.Combine(ConsoleFolder, "wwwroot")).Select(Path.GetFileName))
        {
            assets.Add($"/{file}");
            // MapStaticAssets serves each file also as name.<fingerprint>.ext, the URL @Assets["…"] renders.
            assets.Add($"/{Path.GetFileNameWithoutExtension(file)}.hzm04q4jyz{Path.GetExtension(file)}");
        }
        Assert.Contains("/_framework/blazor.web.js", assets);
        return [.. assets.Distinct()];
    }

    public static TheoryData<string> ClusterPaths() =>
        ["/health", "/alive", "/ready", "/metrics", "/HEALTH", "/Metrics", "/health/", "/ready/x", "/admin/v1/keys"];

    [Fact]
    public void Console_is_on_a_host_of_its_own_with_TLS_and_every_path_goes_to_the_console_Service()
    {
        var console = overlay.Manifests.Get("Ingress", "console");
        var hosts = Items(console["spec"]!["rules"]).Select(r => Str(r["host"])).ToList();
        Assert.NotEmpty(hosts);
        var tlsHosts = Items(console["spec"]!["tls"]).SelectMany(t => t["hosts"]!.AsArray().Select(Str)).ToHashSet();
        Assert.All(hosts, h => Assert.Contains(h, tlsHosts));
        var edgeHosts = Items(overlay.Manifests.Get("Ingress", "edge")["spec"]!["rules"]).Select(r => Str(r["host"]));
        Assert.Empty(hosts.Intersect(edgeHosts));

        var port = Str(overlay.Manifests.Get("Service", "console")["spec"]!["ports"]![0]!["name"]);
        foreach (var path in Items(console["spec"]!["rules"]).SelectMany(r => Items(r["http"]?["paths"])))
        {
            Assert.Equal("console", Str(path["backend"]?["service"]?["name"]));
            Assert.Equal(port, Str(path["backend"]?["service"]?["port"]?["name"]));
        }
    }

    [Theory]
    [MemberData(nameof(Pages))]
    public async Task Each_page_of_the_console_is_routed_to_it_operators_pages_only_behind_the_allow_list(string page)
    {
        var console = overlay.Manifests.Get("Ingress", "console");
        var admin = await OptionalAdminIngressAsync();
        if (page.StartsWith("/admin/", StringComparison.Ordinal))
        {
            Assert.False(ProductionRules.Routes(console, page), $"The public console Ingress routes the operators' page {page}.");
            Assert.Equal("console", ProductionRules.RouteBackend(admin, page));
        }
        else
        {
            Assert.Equal("console", ProductionRules.RouteBackend(console, page));
            Assert.False(ProductionRules.Routes(admin, page), $"The operators' Ingress routes {page}, which is not an operators' page.");
        }
    }

    [Theory]
    [MemberData(nameof(Assets))]
    public void Each_asset_the_pages_load_is_routed_to_the_console(string asset)
    {
        Assert.Equal("console", ProductionRules.RouteBackend(overlay.Manifests.Get("Ingress", "console"), asset));
    }

    [Theory]
    [MemberData(nameof(ClusterPaths))]
    public async Task Paths_of_the_cluster_and_the_admin_API_are_not_routed(string path)
    {
        Assert.False(ProductionRules.Routes(overlay.Manifests.Get("Ingress", "console"), path));
        Assert.False(ProductionRules.Routes(await OptionalAdminIngressAsync(), path));
    }

    [Fact]
    public async Task Optional_operators_Ingress_is_valid_on_the_consoles_host_behind_an_allow_list()
    {
        var admin = await OptionalAdminIngressAsync();
        Assert.True(ProductionRules.IsAdminIngress(admin));
        var consoleHosts = Items(overlay.Manifests.Get("Ingress", "console")["spec"]!["rules"]).Select(r => Str(r["host"]));
        Assert.Equal(consoleHosts, Items(admin["spec"]!["rules"]).Select(r => Str(r["host"])));
        Assert.Contains("ingress-console-admin.yaml", Repository.Read("deploy", "kubernetes", "overlays", "example", "kustomization.yaml"));
        Assert.Empty(ProductionRules.IngressPaths(new Manifests([admin])));
    }

    // Not in the rendered overlay (it is commented out there): validated and parsed once, on its own.
    private static readonly Lazy<Task<ToolResult>> AdminIngress = new(() =>
        Validator.ValidateAsync(Repository.Read("deploy", "kubernetes", "overlays", "example", "ingress-console-admin.yaml"), emitJson: true));

    private static async Task<JsonObject> OptionalAdminIngressAsync()
    {
        var result = await AdminIngress.Value;
        Assert.True(result.ExitCode == 0, result.Describe());
        return Manifests.Parse(result.StandardOutput).Get("Ingress", "console-admin");
    }

    private static IEnumerable<string> SourceFiles(string pattern) =>
        Directory.EnumerateFiles(ConsoleFolder, pattern, SearchOption.AllDirectories)
            .Where(f => !Path.GetRelativePath(ConsoleFolder, f).Split(Path.DirectorySeparatorChar).Any(d => d is "bin" or "obj"));

    [GeneratedRegex("""^@page\s+"([^"]+)"\s*$""", RegexOptions.Multiline)]
    private static partial Regex PageDirective();

    [GeneratedRegex("""\.Map(?:Get|Post|Put|Patch|Delete)\(\s*"(/[^"]*)"\s*,""")]
    private static partial Regex MappedEndpoint();

    [GeneratedRegex(@"\{[^}:]+:guid\}")]
    private static partial Regex GuidParameter();

    [GeneratedRegex(@"\{[^}]+\}")]
    private static partial Regex Parameter();

    // @Assets["console.css"] or src="_framework/blazor.web.js" (relative to <base href="/">).
    [GeneratedRegex(@"@Assets\[""([^""]+)""\]|src=""(?!@|https?:|data:|/)([^""]+)""")]
    private static partial Regex AssetReference();
}
