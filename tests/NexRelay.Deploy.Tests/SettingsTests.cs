using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using NexRelay.Deploy.Tests.Infrastructure;
using static NexRelay.Deploy.Tests.Infrastructure.Manifests;

namespace NexRelay.Deploy.Tests;

/// <summary>The settings each service needs reach its Deployment, secrets only through Secret references.</summary>
[Collection(ExampleOverlayCollection.Name)]
public sealed partial class SettingsTests(ExampleOverlay overlay)
{
    public static TheoryData<string> Services() => [.. AppHostModel.DeployedServices.Select(s => s.ResourceName)];

    [Fact]
    public void AppHost_is_read_with_its_five_deployed_services()
    {
        Assert.Equal(["billing", "console", "edge", "keypolicy", "logging"], AppHostModel.DeployedServices.Select(s => s.ResourceName).Order());
        Assert.Contains("ConnectionStrings__billingdb", AppHostModel.DeployedServices.Single(s => s.ResourceName == "billing").Settings);
        Assert.Contains("services__billing__http__0", AppHostModel.DeployedServices.Single(s => s.ResourceName == "edge").Settings);
        // WithReference(firstEdge!): the first edge replica, named by a variable of its own.
        Assert.Contains("services__edge__http__0", AppHostModel.DeployedServices.Single(s => s.ResourceName == "console").Settings);
        Assert.Contains("ConnectionStrings__redis", AppHostModel.DeployedServices.Single(s => s.ResourceName == "console").Settings);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Every_setting_the_AppHost_gives_a_service_is_provided_to_its_Deployment(string service)
    {
        var settings = SettingsOf(service);
        var missing = AppHostModel.DeployedServices.Single(s => s.ResourceName == service).Settings
            .Where(name => settings.Find(name) is null).ToList();
        Assert.True(missing.Count == 0, $"Deployment {service} lacks settings the AppHost provides: {string.Join(", ", missing)}");
    }

    // What each service reads at start (it refuses to start without the secrets and connection strings).
    [Theory]
    [InlineData("edge", "ConnectionStrings__redis")]
    [InlineData("edge", "ConnectionStrings__messaging")]
    [InlineData("edge", "NexRelay__AdminToken")]
    [InlineData("edge", "NexRelay__KeyHashSecret")]
    [InlineData("edge", "NexRelay__InternalToken")]
    [InlineData("billing", "NexRelay__InternalToken")]
    [InlineData("keypolicy", "NexRelay__InternalToken")]
    [InlineData("edge", "services__billing__http__0")]
    [InlineData("edge", "services__keypolicy__http__0")]
    [InlineData("edge", "services__logging__http__0")]
    [InlineData("edge", "Edge__SpoolPath")]
    [InlineData("edge", "Edge__SpoolHandoffUrl")]
    [InlineData("billing", "ConnectionStrings__billingdb")]
    [InlineData("billing", "ConnectionStrings__messaging")]
    [InlineData("billing", "NexRelay__AdminToken")]
    [InlineData("billing", "NexRelay__KeyHashSecret")]
    [InlineData("billing", "NexRelay__Payments__Stripe__SecretKey")]
    [InlineData("billing", "NexRelay__Payments__Stripe__WebhookSecret")]
    [InlineData("billing", "NexRelay__Payments__Stripe__SuccessUrl")]
    [InlineData("billing", "Billing__HoldTimeoutSeconds")]
    [InlineData("keypolicy", "ConnectionStrings__keypolicydb")]
    [InlineData("keypolicy", "ConnectionStrings__redis")]
    [InlineData("keypolicy", "ConnectionStrings__messaging")]
    [InlineData("keypolicy", "NexRelay__AdminToken")]
    [InlineData("keypolicy", "NexRelay__KeyHashSecret")]
    [InlineData("logging", "ConnectionStrings__loggingdb")]
    [InlineData("logging", "ConnectionStrings__messaging")]
    [InlineData("logging", "NexRelay__AdminToken")]
    [InlineData("logging", "Logging__RetentionDays")]
    [InlineData("edge", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("billing", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("keypolicy", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("logging", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    [InlineData("console", "ConnectionStrings__redis")]
    [InlineData("console", "Console__EdgeUrl")]
    [InlineData("console", "services__edge__http__0")]
    [InlineData("console", "Console__PublicEdgeUrl")]
    [InlineData("console", "ASPNETCORE_FORWARDEDHEADERS_ENABLED")]
    [InlineData("console", "OTEL_EXPORTER_OTLP_ENDPOINT")]
    public void Setting_a_service_needs_is_provided_by_a_ConfigMap_or_a_Secret(string service, string name)
    {
        var setting = SettingsOf(service).Find(name);
        Assert.True(setting is not null, $"Deployment {service} does not receive {name}.");
        Assert.Contains(setting.Source, new[] { SettingSource.ConfigMap, SettingSource.Secret, SettingSource.ConfigFile });
    }

    // Each service gets only the secrets it reads (issue 24 §4): a compromised pod leaks no more than its own.
    [Theory]
    [InlineData("edge", "ConnectionStrings__redis ConnectionStrings__messaging NexRelay__AdminToken NexRelay__AdminTokenPrevious NexRelay__InternalToken NexRelay__InternalTokenPrevious NexRelay__KeyHashSecret NexRelay__Catalog__Providers__openai__ApiKey NexRelay__Catalog__Providers__anthropic__ApiKey NexRelay__Catalog__Providers__gemini__ApiKey")]
    // Billing hashes redemption codes with the keys' secret, and holds Stripe's secrets (payments, issue 23).
    [InlineData("billing", "ConnectionStrings__billingdb ConnectionStrings__messaging NexRelay__AdminToken NexRelay__AdminTokenPrevious NexRelay__InternalToken NexRelay__InternalTokenPrevious NexRelay__KeyHashSecret NexRelay__Payments__Stripe__SecretKey NexRelay__Payments__Stripe__WebhookSecret")]
    [InlineData("keypolicy", "ConnectionStrings__keypolicydb ConnectionStrings__redis ConnectionStrings__messaging NexRelay__AdminToken NexRelay__AdminTokenPrevious NexRelay__InternalToken NexRelay__InternalTokenPrevious NexRelay__KeyHashSecret")]
    [InlineData("logging", "ConnectionStrings__loggingdb ConnectionStrings__messaging NexRelay__AdminToken NexRelay__AdminTokenPrevious")]
    // The console holds no token: people sign in with their own key or the admin token, which it passes to the edge.
    [InlineData("console", "ConnectionStrings__redis")]
    public void Service_receives_only_the_secrets_it_reads(string service, string allowed)
    {
        var permitted = allowed.Split(' ').Select(ContainerSettings.Normalize).ToHashSet();
        var extra = SettingsOf(service).All.Where(s => s.Source == SettingSource.Secret && !permitted.Contains(ContainerSettings.Normalize(s.Name)))
            .Select(s => $"{s.Name} ({s.From})").ToList();
        Assert.True(extra.Count == 0, $"{service} receives secrets it does not read: {string.Join(", ", extra)}");
    }

    /// <summary>
    /// Token rotation (README "Rotating a token"): every service that checks a token also takes its optional second value
    /// from the one rotation Secret, so a rotation is one Secret and a restart, never an edit of the manifests.
    /// </summary>
    [Theory]
    [MemberData(nameof(Services))]
    public void A_service_that_checks_a_token_accepts_a_previous_value_during_a_rotation(string service)
    {
        var settings = SettingsOf(service);
        foreach (var (token, key) in new[] { ("AdminToken", "admin-token"), ("InternalToken", "internal-token") })
        {
            if (settings.Find($"NexRelay__{token}") is null) continue;
            var previous = settings.Find($"NexRelay__{token}Previous");
            Assert.True(previous is { Source: SettingSource.Secret }, $"{service} checks {token} but takes no NexRelay__{token}Previous from a Secret.");
            Assert.Equal($"nexrelay-rotation/{key}-previous", previous.From);
            var reference = Items(MainContainer(overlay.Manifests.Get("Deployment", service))["env"])
                .Single(e => Str(e["name"]) == $"NexRelay__{token}Previous")["valueFrom"]!["secretKeyRef"]!;
            Assert.Equal("true", Str(reference["optional"])); // absent outside a rotation: the pods must start without it
        }
    }

    [Fact]
    public void Edge_believes_forwarded_headers_from_the_Ingress_controllers_network_only()
    {
        var networks = SettingsOf("edge").Section("NexRelay:ForwardedHeaders:KnownNetworks").Select(s => s.Value).ToList();
        Assert.NotEmpty(networks);
        Assert.All(networks, n => Assert.True(System.Net.IPNetwork.TryParse(n, out var network) && network.PrefixLength >= 8,
            $"NexRelay:ForwardedHeaders:KnownNetworks {n} is not a network narrower than /8."));
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Each_service_reports_telemetry_under_its_own_name_on_the_http_port(string service)
    {
        var settings = SettingsOf(service);
        Assert.Equal(service, settings.Find("OTEL_SERVICE_NAME")?.Value);
        var port = Str(MainContainer(overlay.Manifests.Get("Deployment", service))["ports"]![0]!["containerPort"]);
        Assert.Equal(port, settings.Find("ASPNETCORE_HTTP_PORTS")?.Value);
    }

    [Theory]
    [MemberData(nameof(Services))]
    public void Credentials_come_from_Secret_references_and_never_from_values(string service)
    {
        foreach (var setting in SettingsOf(service).All.Where(s => IsCredential(s.Name)))
        {
            Assert.True(setting.Source == SettingSource.Secret,
                $"{service}: {setting.Name} comes from {setting.Source} {setting.From}; credentials must be a secretKeyRef.");
        }
        foreach (var setting in SettingsOf(service).All.Where(s => s.Value is not null))
        {
            Assert.False(CredentialInValue().IsMatch(setting.Value!), $"{service}: {setting.Name} ({setting.From}) looks like it holds a credential.");
        }
    }

    [Fact]
    public void No_Secret_is_rendered_and_no_ConfigMap_holds_a_credential()
    {
        Assert.Empty(overlay.Manifests.OfKind("Secret"));
        foreach (var configMap in overlay.Manifests.OfKind("ConfigMap"))
        {
            foreach (var (key, value) in configMap["data"]?.AsObject() ?? [])
            {
                Assert.False(IsCredential(key), $"ConfigMap {Name(configMap)} holds {key}.");
                Assert.False(CredentialInValue().IsMatch(Str(value) ?? ""), $"ConfigMap {Name(configMap)} key {key} looks like a credential.");
                if (key.EndsWith(".json", StringComparison.Ordinal))
                {
                    Assert.DoesNotContain(FlattenJson(Str(value)!), p => IsCredential(p.Key) && !string.IsNullOrEmpty(p.Value));
                }
            }
        }
    }

    [Fact]
    public void Every_secret_key_the_Deployments_use_is_created_by_the_README_commands()
    {
        var documented = SecretCommand().Matches(Repository.Read("README.md"))
            .SelectMany(m => SecretKey().Matches(m.Groups[2].Value).Select(k => $"{m.Groups[1].Value}/{k.Groups[1].Value}"))
            .ToHashSet();
        var used = overlay.Manifests.OfKind("Deployment")
            .SelectMany(d => new ContainerSettings(overlay.Manifests, d).All)
            .Where(s => s.Source == SettingSource.Secret)
            .Select(s => s.From)
            .ToHashSet();
        Assert.NotEmpty(used);
        Assert.True(used.IsSubsetOf(documented),
            $"Secret keys used but not in a `kubectl create secret generic` command of README.md (Deploying to Kubernetes): {string.Join(", ", used.Except(documented))}");
    }

    /// <summary>Service discovery as the AppHost's references set it up: the edge finds billing, keypolicy and logging, the console the edge.</summary>
    [Theory]
    [MemberData(nameof(Services))]
    public void Each_service_finds_the_services_it_references_at_their_Services(string service)
    {
        var settings = SettingsOf(service);
        foreach (var name in AppHostModel.DeployedServices.Single(s => s.ResourceName == service).Settings)
        {
            var reference = ServiceReference().Match(name);
            if (!reference.Success) continue;
            var target = reference.Groups[1].Value;
            var port = Str(overlay.Manifests.Get("Service", target)["spec"]!["ports"]![0]!["port"]);
            Assert.Equal($"http://{target}:{port}", settings.Find(name)?.Value);
        }
    }

    [Fact]
    public void Edge_finds_the_internal_services_at_their_Services()
    {
        var references = AppHostModel.DeployedServices.Single(s => s.ResourceName == "edge").Settings.Where(n => ServiceReference().IsMatch(n));
        Assert.Equal(["services__billing__http__0", "services__keypolicy__http__0", "services__logging__http__0"], references.Order());
        Each_service_finds_the_services_it_references_at_their_Services("edge");
    }

    [Fact]
    public void Edge_catalog_gives_each_provider_a_base_url_and_a_secret_api_key()
    {
        var settings = SettingsOf("edge");
        var providers = settings.Section("NexRelay:Catalog:Providers")
            .Select(s => ContainerSettings.Normalize(s.Name).Split(':')[3])
            .ToHashSet();
        Assert.NotEmpty(providers);
        foreach (var provider in providers)
        {
            var prefix = $"NexRelay:Catalog:Providers:{provider}";
            Assert.Contains(settings.Find($"{prefix}:Kind")?.Value, new[] { "openai", "anthropic", "gemini" });
            Assert.StartsWith("https://", settings.Find($"{prefix}:BaseUrl")?.Value);
            Assert.Equal(SettingSource.Secret, settings.Find($"{prefix}:ApiKey")?.Source);
        }

        var upstreams = settings.Section("NexRelay:Catalog:Models")
            .Where(s => s.Name.EndsWith(":Provider", StringComparison.OrdinalIgnoreCase))
            .ToList();
        Assert.NotEmpty(upstreams);
        Assert.All(upstreams, u => Assert.Contains(u.Value!.ToLowerInvariant(), providers));
    }

    /// <summary>
    /// The image also carries the edge's own appsettings.json (the local, simulated catalog), and .NET merges it under the
    /// mounted catalog: every model it lists must be overridden so that none reaches a simulated upstream in a cluster.
    /// </summary>
    [Fact]
    public void Every_model_the_edge_serves_in_the_cluster_goes_to_a_real_https_upstream()
    {
        var effective = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var (key, value) in FlattenJson(Repository.Read("services", "NexRelay.Edge", "appsettings.json"))) effective[ContainerSettings.Normalize(key)] = value;
        foreach (var setting in SettingsOf("edge").All) effective[ContainerSettings.Normalize(setting.Name)] = setting.Value ?? "(secret)";

        var upstreams = effective.Where(p => UpstreamProvider().IsMatch(p.Key)).ToList();
        Assert.NotEmpty(upstreams);
        foreach (var (key, provider) in upstreams)
        {
            var baseUrl = effective.GetValueOrDefault($"nexrelay:catalog:providers:{provider}:baseurl");
            Assert.True(baseUrl?.StartsWith("https://", StringComparison.Ordinal) == true,
                $"{key} = {provider}, whose BaseUrl is {baseUrl ?? "missing"}: add the model to overlays/example/edge-catalog.json.");
        }
    }

    [Fact]
    public void Edge_spool_is_on_a_volume_that_outlives_the_container()
    {
        var edge = overlay.Manifests.Get("Deployment", "edge");
        var path = SettingsOf("edge").Find("Edge__SpoolPath")?.Value;
        var mount = Items(MainContainer(edge)["volumeMounts"]).SingleOrDefault(m => Str(m["mountPath"]) == path);
        Assert.True(mount is not null, $"Edge__SpoolPath {path} is not a volume mount (the root filesystem is read-only).");
        Assert.NotEqual("true", Str(mount["readOnly"]));
    }

    private ContainerSettings SettingsOf(string service) => new(overlay.Manifests, overlay.Manifests.Get("Deployment", service));

    private static bool IsCredential(string name) => CredentialName().IsMatch(ContainerSettings.Normalize(name));

    [GeneratedRegex(@"^services__([a-z0-9-]+)__http__0$")]
    private static partial Regex ServiceReference();

    [GeneratedRegex(@"^nexrelay:catalog:models:[^:]+:upstreams:\d+:provider$")]
    private static partial Regex UpstreamProvider();

    [GeneratedRegex(@"^connectionstrings:|token(previous)?$|secret$|apikey$|password", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialName();

    // user:password@ in a URI, Password= in a connection string, a bearer-looking token.
    [GeneratedRegex(@"://[^/\s:@]+:[^/\s@]+@|password\s*=|\b(sk|nra)[-_][A-Za-z0-9]{8,}", RegexOptions.IgnoreCase)]
    private static partial Regex CredentialInValue();

    [GeneratedRegex(@"kubectl(?:\s+-n\s+\S+)?\s+create\s+secret\s+generic\s+([a-z0-9-]+)((?:[^`]|`(?!``))*?)(?=```|kubectl)", RegexOptions.Singleline)]
    private static partial Regex SecretCommand();

    [GeneratedRegex(@"--from-(?:literal|file)=([A-Za-z0-9._-]+)=")]
    private static partial Regex SecretKey();
}
