using System.Text.RegularExpressions;
using NexRelay.Deploy.Tests.Infrastructure;

namespace NexRelay.Deploy.Tests;

[Collection(ExampleOverlayCollection.Name)]
public sealed partial class RenderingTests(ExampleOverlay overlay)
{
    [Fact]
    public void Example_overlay_renders_with_kubectl_kustomize()
    {
        Assert.True(overlay.Render.ExitCode == 0, $"kubectl kustomize {overlay.Path} failed: {overlay.Render.Describe()}");
        Assert.Contains("kind: Deployment", overlay.Render.StandardOutput);
    }

    [Fact]
    public async Task Base_renders_on_its_own()
    {
        var result = await Tool.RunAsync("kubectl", ["kustomize", "deploy/kubernetes/base"], Repository.Root);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [Fact]
    public void Every_rendered_object_validates_against_the_Kubernetes_schemas()
    {
        var manifests = overlay.Manifests;
        var summary = SummaryPattern().Match(overlay.Validation!.StandardError);
        Assert.True(summary.Success, overlay.Validation.Describe());
        Assert.Equal(manifests.Objects.Count, int.Parse(summary.Groups[1].Value));
        Assert.Equal("0", summary.Groups[2].Value);

        var kinds = manifests.Objects.Select(o => Manifests.Str(o["kind"])).ToHashSet();
        Assert.Superset(
            new HashSet<string?> { "Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy", "ConfigMap" },
            kinds);
    }

    [Theory]
    [InlineData("replicas is not an integer", """
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: broken }
        spec:
          replicas: two
          selector: { matchLabels: { app: x } }
          template: { metadata: { labels: { app: x } }, spec: { containers: [ { name: x, image: x } ] } }
        """)]
    [InlineData("a container has no name", """
        apiVersion: v1
        kind: Pod
        metadata: { name: broken }
        spec: { containers: [ { image: x } ] }
        """)]
    [InlineData("a probe port is a list", """
        apiVersion: v1
        kind: Pod
        metadata: { name: broken }
        spec: { containers: [ { name: x, image: x, readinessProbe: { httpGet: { path: /health, port: [8080] } } } ] }
        """)]
    [InlineData("the kind does not exist", """
        apiVersion: apps/v1
        kind: Deploymnet
        metadata: { name: broken }
        """)]
    [InlineData("the API group does not exist", """
        apiVersion: example.invalid/v1
        kind: Widget
        metadata: { name: broken }
        """)]
    public async Task Validator_rejects_an_object_that_breaks_the_schema(string why, string yaml)
    {
        var valid = """
            apiVersion: v1
            kind: Service
            metadata: { name: fine }
            spec: { ports: [ { port: 8080 } ] }
            ---

            """;
        var result = await Validator.ValidateAsync(valid + yaml);
        Assert.True(result.ExitCode != 0, $"{why}: the validator accepted it. {result.Describe()}");
        Assert.Contains("INVALID", result.StandardError);
        Assert.Contains("ok Service/fine", result.StandardOutput);
    }

    [GeneratedRegex(@"(\d+) valid, (\d+) invalid")]
    private static partial Regex SummaryPattern();
}
