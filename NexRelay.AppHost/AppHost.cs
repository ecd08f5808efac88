using NexRelay.AppHost;
using NexRelay.ServiceDefaults;

var builder = DistributedApplication.CreateBuilder(args);
var infra = Infrastructure.Add(builder);
var secrets = AppSecrets.From(builder.Configuration);
var edgePort = int.TryParse(builder.Configuration["NEXRELAY_EDGE_PORT"] ?? builder.Configuration["NexRelay:EdgePort"], out var port) ? port : 8080;

var simulated = builder.AddProject<Projects.NexRelay_SimulatedProvider>(ResourceNames.SimulatedProvider, launchProfileName: null)
    .WithHttpEndpoint()
    .WithHttpHealthCheck("/health");

var keyPolicy = builder.AddProject<Projects.NexRelay_KeyPolicy>(ResourceNames.KeyPolicy, launchProfileName: null)
    .WithHttpEndpoint()
    .WithReference(infra.KeyPolicyDb).WaitFor(infra.KeyPolicyDb)
    .WithEnvironment("NexRelay__AdminToken", secrets.AdminToken)
    .WithEnvironment("NexRelay__KeyHashSecret", secrets.KeyHashSecret)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging)
    .WithHttpHealthCheck("/health");

var billing = builder.AddProject<Projects.NexRelay_Billing>(ResourceNames.Billing, launchProfileName: null)
    .WithHttpEndpoint()
    .WithReference(infra.BillingDb).WaitFor(infra.BillingDb)
    .WithEnvironment("NexRelay__AdminToken", secrets.AdminToken)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging)
    .WithHttpHealthCheck("/health");

var logging = builder.AddProject<Projects.NexRelay_Logging>(ResourceNames.Logging, launchProfileName: null)
    .WithHttpEndpoint()
    .WithReference(infra.LoggingDb).WaitFor(infra.LoggingDb)
    .WithEnvironment("NexRelay__AdminToken", secrets.AdminToken)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging)
    .WithHttpHealthCheck("/health");

builder.AddProject<Projects.NexRelay_Edge>(ResourceNames.Edge, launchProfileName: null)
    // The public port is fixed (not proxied) so clients and the README can rely on it.
    .WithHttpEndpoint(port: edgePort, isProxied: false)
    .WithEnvironment("NexRelay__AdminToken", secrets.AdminToken)
    .WithEnvironment("NexRelay__KeyHashSecret", secrets.KeyHashSecret)
    .WithReference(infra.Redis).WaitFor(infra.Redis)
    .WithReference(infra.Messaging).WaitFor(infra.Messaging)
    .WithReference(keyPolicy).WaitFor(keyPolicy)
    .WithReference(billing).WaitFor(billing)
    .WithReference(logging).WaitFor(logging)
    .WithReference(simulated).WaitFor(simulated)
    .WithHttpHealthCheck("/health");

builder.Build().Run();
