namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>A kustomize folder rendered once with `kubectl kustomize` and validated once, shared by a collection of tests.</summary>
public abstract class RenderedOverlay(string path) : IAsyncLifetime
{
    public string Path { get; } = path;

    internal ToolResult Render { get; private set; } = null!;
    internal ToolResult? Validation { get; private set; }
    private Manifests? _manifests;

    internal Manifests Manifests => _manifests ?? throw new Xunit.Sdk.XunitException(
        Validation is null ? $"kubectl kustomize {Path} failed: {Render.Describe()}" : $"The manifests of {Path} did not validate: {Validation.Describe()}");

    public async Task InitializeAsync()
    {
        Render = await Tool.RunAsync("kubectl", ["kustomize", Path], Repository.Root);
        if (Render.ExitCode != 0) return;
        Validation = await Validator.ValidateAsync(Render.StandardOutput, emitJson: true);
        if (Validation.ExitCode == 0) _manifests = Manifests.Parse(Validation.StandardOutput);
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

public sealed class ExampleOverlay() : RenderedOverlay("deploy/kubernetes/overlays/example");

public sealed class DevOverlay() : RenderedOverlay("deploy/kubernetes/overlays/dev");

[CollectionDefinition(Name)]
public sealed class ExampleOverlayCollection : ICollectionFixture<ExampleOverlay>
{
    public const string Name = "example overlay";
}

[CollectionDefinition(Name)]
public sealed class DevOverlayCollection : ICollectionFixture<DevOverlay>
{
    public const string Name = "dev overlay";
}
