using System.Diagnostics;
using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// The official Google Gen AI SDK (npm @google/genai, installed into tests/node by scripts/test-deps.sh) driven from Node.js
/// against the running edge. Its default API version is v1, so this also proves the /v1 Gemini routes.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class GeminiSdkTests(ClusterFixture cluster)
{
    public static TheoryData<string, string> ModelsAndVersions => new()
    {
        { "gemini-2.5-flash", "v1" }, { "gemini-2.5-flash", "v1beta" }, { "gpt-5.4", "v1" }, { "claude-sonnet-4-6", "v1beta" },
    };

    [Theory]
    [MemberData(nameof(ModelsAndVersions))]
    public async Task GenerateContent_returns_the_simulated_words_and_usage(string model, string version)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var result = await RunAsync(tenant.Key, model, "generate", "5", version);
        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(5, result["text"]!.GetValue<string>().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(5, result["usage"]!["candidatesTokenCount"]!.GetValue<int>());
        Assert.Equal("MAX_TOKENS", result["finishReason"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(ModelsAndVersions))]
    public async Task Streamed_generateContent_delivers_every_word_and_usage(string model, string version)
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var result = await RunAsync(tenant.Key, model, "stream", "9", version);
        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(9, result["text"]!.GetValue<string>().Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Equal(9, result["usage"]!["candidatesTokenCount"]!.GetValue<int>());
        Assert.True(result["chunks"]!.GetValue<int>() > 1, "a stream arrives in several chunks");
    }

    [Fact]
    public async Task CountTokens_and_model_listing_work_through_the_sdk()
    {
        var tenant = await Tenant.CreateAsync(cluster);
        var count = await RunAsync(tenant.Key, "gemini-2.5-flash", "count", "5", null);
        Assert.True(count["ok"]!.GetValue<bool>(), count.ToJsonString());
        Assert.True(count["totalTokens"]!.GetValue<int>() >= 6);
        var list = await RunAsync(tenant.Key, "gemini-2.5-flash", "list", "5", "v1beta");
        Assert.True(list["ok"]!.GetValue<bool>(), list.ToJsonString());
        Assert.Contains("models/gemini-2.5-flash", list["names"]!.AsArray().Select(n => n!.GetValue<string>()));
    }

    [Fact]
    public async Task Unknown_key_is_refused_with_google_status()
    {
        var result = await RunAsync("nrk_" + new string('c', 43), "gemini-2.5-flash", "generate", "5", null);
        Assert.False(result["ok"]!.GetValue<bool>());
        Assert.Equal(401, result["status"]!.GetValue<int>());
        Assert.Contains("UNAUTHENTICATED", result["message"]!.GetValue<string>());
    }

    private async Task<JsonObject> RunAsync(string key, string model, string mode, string maxTokens, string? version)
    {
        var nodeDir = Path.Combine(RepoRoot(), "tests", "node");
        var start = new ProcessStartInfo("node") { WorkingDirectory = nodeDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "gemini-sdk.mjs", cluster.EdgeUrl.ToString().TrimEnd('/'), key, model, mode, maxTokens }) start.ArgumentList.Add(arg);
        if (version is not null) start.ArgumentList.Add(version);
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var line = (await stdout).Trim().Split('\n').LastOrDefault() ?? "";
        Assert.True(line.StartsWith('{'), $"node printed no result: {await stderr}");
        return JsonNode.Parse(line)!.AsObject();
    }

    internal static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NexRelay.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("NexRelay.sln not found above the test assembly.");
    }
}
