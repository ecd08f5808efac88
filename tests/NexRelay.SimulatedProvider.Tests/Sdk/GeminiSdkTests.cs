using System.Diagnostics;
using System.Text.Json.Nodes;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Tests.Sdk;

/// <summary>
/// The official Google Gen AI SDK (npm @google/genai in tests/node, installed by scripts/test-deps.sh) reads the
/// simulator's Gemini output, driven through tests/node/gemini-sdk.mjs.
/// </summary>
public sealed class GeminiSdkTests(SimulatorFixture sim) : IClassFixture<SimulatorFixture>
{
    [Theory]
    [InlineData("v1")]
    [InlineData("v1beta")]
    public async Task GenerateContent_parses_with_text_finish_reason_and_usage(string version)
    {
        var result = await RunAsync("generate", "5", version);

        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(Vocabulary.TextString(5), result["text"]!.GetValue<string>());
        Assert.Equal("MAX_TOKENS", result["finishReason"]!.GetValue<string>());
        // "Be brief." + "Say hello to the whole wide world"
        Assert.Equal(9, result["usage"]!["promptTokenCount"]!.GetValue<int>());
        Assert.Equal(5, result["usage"]!["candidatesTokenCount"]!.GetValue<int>());
        Assert.Equal(14, result["usage"]!["totalTokenCount"]!.GetValue<int>());
    }

    [Theory]
    [InlineData("v1")]
    [InlineData("v1beta")]
    public async Task Stream_parses_every_chunk_and_the_final_usage(string version)
    {
        var result = await RunAsync("stream", "9", version);

        Assert.True(result["ok"]!.GetValue<bool>(), result.ToJsonString());
        Assert.Equal(Vocabulary.TextString(9), result["text"]!.GetValue<string>());
        Assert.Equal(10, result["chunks"]!.GetValue<int>());
        Assert.Equal(9, result["usage"]!["candidatesTokenCount"]!.GetValue<int>());
    }

    private async Task<JsonObject> RunAsync(string mode, string maxTokens, string version)
    {
        var nodeDir = Path.Combine(RepoRoot(), "tests", "node");
        Assert.True(Directory.Exists(Path.Combine(nodeDir, "node_modules", "@google", "genai")),
            "@google/genai is not installed in tests/node: run scripts/test-deps.sh (./test.sh does).");
        var start = new ProcessStartInfo("node") { WorkingDirectory = nodeDir, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "gemini-sdk.mjs", sim.BaseAddress.ToString().TrimEnd('/'), "AIza-test", "gemini-2.5-flash", mode, maxTokens, version })
        {
            start.ArgumentList.Add(arg);
        }
        using var process = Process.Start(start)!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
        var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
        await process.WaitForExitAsync(timeout.Token);
        var line = (await stdout).Trim().Split('\n').LastOrDefault() ?? "";
        Assert.True(line.StartsWith('{'), $"node printed no result: {await stderr}");
        return JsonNode.Parse(line)!.AsObject();
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "NexRelay.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("NexRelay.sln not found above the test assembly.");
    }
}
