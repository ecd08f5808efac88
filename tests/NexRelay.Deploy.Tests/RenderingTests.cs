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
    // Strict validation (issue 24 §6): a misspelled field is an error, not a silently ignored one.
    [InlineData("terminationGracePeriodSecond is misspelled", """
        apiVersion: v1
        kind: Pod
        metadata: { name: broken }
        spec: { terminationGracePeriodSecond: 30, containers: [ { name: x, image: x } ] }
        """)]
    [InlineData("runAsNonroot is misspelled", """
        apiVersion: apps/v1
        kind: Deployment
        metadata: { name: broken }
        spec:
          selector: { matchLabels: { app: x } }
          template: { metadata: { labels: { app: x } }, spec: { securityContext: { runAsNonroot: true }, containers: [ { name: x, image: x } ] } }
        """)]
    [InlineData("readOnlyRootFileSystem is misspelled", """
        apiVersion: v1
        kind: Pod
        metadata: { name: broken }
        spec: { containers: [ { name: x, image: x, securityContext: { readOnlyRootFileSystem: true } } ] }
        """)]
    [InlineData("egres is misspelled", """
        apiVersion: networking.k8s.io/v1
        kind: NetworkPolicy
        metadata: { name: broken }
        spec: { podSelector: {}, policyTypes: [Egress], egres: [ { ports: [ { port: 53 } ] } ] }
        """)]
    [InlineData("a top-level field is misspelled", """
        apiVersion: v1
        kind: Service
        metadata: { name: broken }
        spce: { ports: [ { port: 8080 } ] }
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

    [Fact]
    public async Task Validator_accepts_free_keys_in_maps_labels_annotations_and_resources()
    {
        var result = await Validator.ValidateAsync("""
            apiVersion: v1
            kind: Pod
            metadata: { name: fine, labels: { any-label: x }, annotations: { example.com/anything: y } }
            spec: { nodeSelector: { zone: a }, containers: [ { name: x, image: x, resources: { limits: { cpu: "1", ephemeral-storage: 1Gi } } } ] }
            """);
        Assert.True(result.ExitCode == 0, result.Describe());
    }

    [GeneratedRegex(@"(\d+) valid, (\d+) invalid")]
    private static partial Regex SummaryPattern();
}
