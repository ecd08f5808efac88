using System.Diagnostics;
using System.Text.Json.Nodes;

namespace NexRelay.AppHost.Tests.Docs;

/// <summary>Runs the checkers in tests/node-docs (swagger-parser, ajv, newman; installed by scripts/test-deps.sh).</summary>
internal static class DocsNode
{
    public static string Folder => Path.Combine(GeminiSdkTests.RepoRoot(), "tests", "node-docs");

    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(string program, TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        using var cts = new CancellationTokenSource(timeout);
        var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
        var stderr = process.StandardError.ReadToEndAsync(cts.Token);
        await process.WaitForExitAsync(cts.Token);
        return (process.ExitCode, await stdout, await stderr);
    }

    /// <summary>The last stdout line of a node script, as JSON.</summary>
    public static async Task<JsonNode> ScriptAsync(string script, params string[] args)
    {
        var (_, stdout, stderr) = await RunAsync("node", TimeSpan.FromSeconds(90), [script, .. args]);
        var line = stdout.Trim().Split('\n').LastOrDefault()?.Trim() ?? "";
        Assert.True(line.StartsWith('{') || line.StartsWith('['), $"{script} printed no result: {stdout} {stderr}");
        return JsonNode.Parse(line)!;
    }

    public static async Task<string> SaveAsync(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), "nexrelay-docs-" + Guid.NewGuid().ToString("N") + ".json");
        await File.WriteAllTextAsync(file, text);
        return file;
    }

    /// <summary>Validates an OpenAPI document with swagger-parser; fails the test with the validator's message.</summary>
    public static async Task AssertValidOpenApiAsync(string document)
    {
        var file = await SaveAsync(document);
        try
        {
            var result = await ScriptAsync("validate.mjs", file);
            Assert.True(result["ok"]!.GetValue<bool>(), "swagger-parser: " + result["error"]);
        }
        finally { File.Delete(file); }
    }

    /// <summary>Checks every sample (a real response) against the document's schema for its path, method, status and content type.</summary>
    public static async Task AssertMatchesDocumentAsync(string document, IReadOnlyList<ResponseSample> samples)
    {
        var docFile = await SaveAsync(document);
        var samplesFile = await SaveAsync(new JsonArray([.. samples.Select(s => (JsonNode)new JsonObject
        {
            ["method"] = s.Method, ["path"] = s.Path, ["status"] = s.Status, ["contentType"] = s.ContentType, ["body"] = s.Body,
        })]).ToJsonString());
        try
        {
            var results = (await ScriptAsync("check-responses.mjs", docFile, samplesFile)).AsArray();
            Assert.Equal(samples.Count, results.Count);
            var failures = samples.Zip(results)
                .Where(p => !p.Second!["ok"]!.GetValue<bool>())
                .Select(p => $"{p.First.Method} {p.First.Path} {p.First.Status}: {p.Second!["errors"]!.ToJsonString()} body={Trim(p.First.Body)}")
                .ToList();
            Assert.True(failures.Count == 0, string.Join("\n", failures));
        }
        finally
        {
            File.Delete(docFile);
            File.Delete(samplesFile);
        }
    }

    private static string Trim(string body) => body.Length > 400 ? body[..400] + "…" : body;
}

/// <summary>A real response of the edge, tagged with the document path template it answers.</summary>
internal sealed record ResponseSample(string Method, string Path, int Status, string ContentType, string Body)
{
    public static async Task<ResponseSample> FromAsync(string method, string pathTemplate, HttpResponseMessage response) =>
        new(method, pathTemplate, (int)response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "", await response.Content.ReadAsStringAsync());
}
