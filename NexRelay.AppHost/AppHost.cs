using Microsoft.Extensions.Configuration;
using NexRelay.AppHost;
using NexRelay.ServiceDefaults;

var builder = DistributedApplication.CreateBuilder(args);
var infra = Infrastructure.Add(builder);
var secrets = AppSecrets.From(builder.Configuration);
var edgePort = int.TryParse(builder.Configuration["NEXRELAY_EDGE_PORT"] ?? builder.Configuration["NexRelay:EdgePort"], out var configuredPort) ? configuredPort : 8080;

var simulated = builder.AddProject<Projects.NexRelay_SimulatedProvider>(ResourceNames.SimulatedProvider, launchProfileName: null)
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health");

var keyPolicy = builder.AddProject<Projects.NexRelay_KeyPolicy>(ResourceNames.KeyPolicy, launchProfileName: null)
    .WithHttpEndpoint()
    .WithReference(infra.KeyPolicyDb).WaitFor(infra.KeyPolicyDb)
    .WithEnvironment("NexRelay__AdminToken", secrets.AdminToken)
    .WithEnvironment("NexRelay__KeyHashSecret", secrets.KeyHashSecret)
    .WithEnvironment("NexRelay__InternalToken", secrets.InternalToken)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging)
    .WithHttpHealthCheck("/health");

// Operator settings for billing (Billing: hold timeout, sweep, settlement queue; NexRelay:Notifications: webhooks;
// NexRelay:Payments: Stripe) and logging's queue are handed on as they are.
var billingSettings = new[] { "Billing", "NexRelay:Notifications", "NexRelay:Payments" }
    .SelectMany(section => builder.Configuration.GetSection(section).AsEnumerable()).Where(s => s.Value is not null).ToList();
var billing = builder.AddProject<Projects.NexRelay_Billing>(ResourceNames.Billing, launchProfileName: null)
    .WithHttpEndpoint()
    .WithReference(infra.BillingDb).WaitFor(infra.BillingDb)
    .WithEnvironment("NexRelay__AdminToken", secrets.AdminToken)
    // Redemption codes are hashed like API keys, with the same secret.
    .WithEnvironment("NexRelay__KeyHashSecret", secrets.KeyHashSecret)
    .WithEnvironment("NexRelay__InternalToken", secrets.InternalToken)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging)
    .WithHttpHealthCheck("/health")
    // Low-balance webhooks may reach the simulated provider's receiver (/sim/webhooks/{name}) over plain HTTP, and no other
    // internal address: an operator's own NexRelay:Notifications:AllowedHosts entries come after it.
    .WithEnvironment("NexRelay__Notifications__AllowedHosts__0", simulated.GetEndpoint("http").Property(EndpointProperty.HostAndPort))
    .WithEnvironment("NexRelay__Notifications__AllowHttpForAllowedHosts", "true")
    .WithEnvironment(context =>
    {
        foreach (var (key, value) in billingSettings)
        {
            // Operator entries of the allow-list shift by one, after the simulated receiver.
            var name = key.StartsWith("NexRelay:Notifications:AllowedHosts:", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(key[(key.LastIndexOf(':') + 1)..], out var i) ? $"NexRelay:Notifications:AllowedHosts:{i + 1}" : key;
            context.EnvironmentVariables[name.Replace(":", "__")] = value!;
        }
    });

var ingestQueue = builder.Configuration["Logging:IngestQueue"];
var logging = builder.AddProject<Projects.NexRelay_Logging>(ResourceNames.Logging, launchProfileName: null)
    .WithHttpEndpoint()
    .WithReference(infra.LoggingDb).WaitFor(infra.LoggingDb)
    .WithEnvironment("NexRelay__AdminToken", secrets.AdminToken)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging)
    .WithHttpHealthCheck("/health")
    .WithEnvironment(context =>
    {
        if (!string.IsNullOrEmpty(ingestQueue)) context.EnvironmentVariables["Logging__IngestQueue"] = ingestQueue;
    });

// More edge replicas (NexRelay:ExtraEdgePorts, comma-separated) share nothing but Redis, RabbitMQ and the services behind them;
// the scale-out tests use them.
var extraEdgePorts = (builder.Configuration["NexRelay:ExtraEdgePorts"] ?? "")
    .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse);
// Operator settings for the edge given to the AppHost (parameters, appsettings, environment) are handed on as they are:
// the model catalog and upstreams, relay limits, key cache.
var edgeSettings = new[] { "NexRelay:Catalog", "NexRelay:Relay", "NexRelay:Keys", "NexRelay:ForwardedHeaders", "NexRelay:Credits", "NexRelay:PublicBaseUrl", "NexRelay:Docs", "Holds", "Edge" }
    .SelectMany(section => builder.Configuration.GetSection(section).AsEnumerable())
    .Where(setting => setting.Value is not null)
    .ToList();

IResourceBuilder<ProjectResource>? firstEdge = null;
foreach (var (name, port) in extraEdgePorts.Select((p, i) => ($"{ResourceNames.Edge}-{i + 2}", p)).Prepend((ResourceNames.Edge, edgePort)))
{
    var edge = builder.AddProject<Projects.NexRelay_Edge>(name, launchProfileName: null)
        // The public port is fixed (not proxied) so clients and the README can rely on it.
        .WithHttpEndpoint(port: port, isProxied: false)
        .WithEnvironment("NexRelay__AdminToken", secrets.AdminToken)
        .WithEnvironment("NexRelay__KeyHashSecret", secrets.KeyHashSecret)
        .WithEnvironment("NexRelay__InternalToken", secrets.InternalToken)
        // Each replica spools undeliverable events to a folder of its own, kept across restarts.
        .WithEnvironment("Edge__SpoolPath", Path.Combine(builder.AppHostDirectory, "..", ".nexrelay", "spool", $"edge-{port}"))
        .WithReference(infra.Redis).WaitFor(infra.Redis)
        .WithReference(infra.Messaging).WaitFor(infra.Messaging)
        .WithReference(keyPolicy).WaitFor(keyPolicy)
        .WithReference(billing).WaitFor(billing)
        .WithReference(logging).WaitFor(logging)
        .WithReference(simulated).WaitFor(simulated)
        .WithHttpHealthCheck("/health")
        .WithEnvironment(context =>
        {
            foreach (var (key, value) in edgeSettings) context.EnvironmentVariables[key.Replace(":", "__")] = value!;
        });
    firstEdge ??= edge;
}

// The console (docs/architecture.md, "Console"): web pages over the edge's APIs, on a fixed port as the edge's, since people
// bookmark it. Its sessions' encryption keys live in Redis. NexRelay:Console:Enabled=false leaves it out (the test clusters
// that do not use it).
if (builder.Configuration.GetValue("NexRelay:Console:Enabled", true))
{
    var consolePort = int.TryParse(builder.Configuration["NEXRELAY_CONSOLE_PORT"] ?? builder.Configuration["NexRelay:ConsolePort"], out var cp) ? cp : 8081;
    var dashboardUrl = builder.Configuration["ASPNETCORE_URLS"]?.Split(';')[0];
    builder.AddProject<Projects.NexRelay_Console>(ResourceNames.Console, launchProfileName: null)
        .WithHttpEndpoint(port: consolePort, isProxied: false)
        .WithReference(firstEdge!).WaitFor(firstEdge!)
        .WithReference(infra.Redis).WaitFor(infra.Redis)
        .WithEnvironment("Console__PublicEdgeUrl", firstEdge!.GetEndpoint("http"))
        .WithEnvironment(context =>
        {
            if (!string.IsNullOrEmpty(dashboardUrl)) context.EnvironmentVariables["Console__DashboardUrl"] = dashboardUrl;
        })
        .WithHttpHealthCheck("/health");
}

// Every service speaks plain HTTP inside the cluster (TLS ends at the ingress in Kubernetes, and ./run.sh binds 127.0.0.1):
// without this, Aspire would configure the ASP.NET Core development certificate for the services and, finding none trusted,
// show its "No trusted development certificate" error on every dashboard page, an alarm with nothing behind it.
#pragma warning disable ASPIRECERTIFICATES001 // evaluation API in Aspire 13.6
foreach (var resource in builder.Resources.OfType<ProjectResource>().ToList())
    builder.CreateResourceBuilder(resource).WithoutHttpsCertificate();
#pragma warning restore ASPIRECERTIFICATES001

// Telemetry settings (NexRelay:Telemetry, e.g. TraceSampleRatio) apply to every service alike.
var telemetrySettings = builder.Configuration.GetSection("NexRelay:Telemetry").AsEnumerable().Where(s => s.Value is not null).ToList();
foreach (var project in builder.Resources.OfType<ProjectResource>().ToList())
{
    builder.CreateResourceBuilder(project).WithEnvironment(context =>
    {
        foreach (var (key, value) in telemetrySettings) context.EnvironmentVariables[key.Replace(":", "__")] = value!;
    });
}

builder.Build().Run();
