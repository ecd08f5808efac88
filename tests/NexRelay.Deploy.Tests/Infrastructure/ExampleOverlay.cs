namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>deploy/kubernetes/overlays/example rendered once with `kubectl kustomize` and validated once, for every test.</summary>
public sealed class ExampleOverlay : IAsyncLifetime
{
    public const string Path = "deploy/kubernetes/overlays/example";

    internal ToolResult Render { get; private set; } = null!;
    internal ToolResult? Validation { get; private set; }
    private Manifests? _manifests;

    internal Manifests Manifests => _manifests ?? throw new Xunit.Sdk.XunitException(
        Validation is null ? $"kubectl kustomize {Path} failed: {Render.Describe()}" : $"The rendered manifests did not validate: {Validation.Describe()}");

    public async Task InitializeAsync()
    {
        Render = await Tool.RunAsync("kubectl", ["kustomize", Path], Repository.Root);
        if (Render.ExitCode != 0) return;
        Validation = await Validator.ValidateAsync(Render.StandardOutput, emitJson: true);
        if (Validation.ExitCode == 0) _manifests = Manifests.Parse(Validation.StandardOutput);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class ExampleOverlayCollection : ICollectionFixture<ExampleOverlay>
{
    public const string Name = "example overlay";
}
