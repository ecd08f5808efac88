using System.Diagnostics;
using System.Text;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// The coding agents in tests/node-agents (pinned there, installed by scripts/test-deps.sh), each set up as a user points it
/// at NexRelay: its own configuration file and environment, nothing else. Every run gets a fresh HOME, working folder and
/// TMPDIR, gets no standard input, and is killed with its children when it outlives its timeout.
/// </summary>
internal static class CodingAgents
{
    public const string Codex = "codex";
    public const string ClaudeCode = "claude-code";
    public const string GeminiCli = "gemini-cli";

    public static readonly string[] All = [Codex, ClaudeCode, GeminiCli];

    /// <summary>The model each agent is made for; the tests also run it on a model of each other upstream kind.</summary>
    public static string NativeModel(string agent) => agent switch
    {
        Codex => "gpt-5.5",
        ClaudeCode => "claude-sonnet-4-6",
        GeminiCli => "gemini-2.5-flash",
        _ => throw new ArgumentOutOfRangeException(nameof(agent), agent, null),
    };

    /// <summary>One model of each upstream kind in the catalog.</summary>
    public static readonly string[] ModelPerKind = ["gpt-5.4", "claude-sonnet-4-6", "gemini-2.5-flash"];

    public static string Folder => Path.Combine(GeminiSdkTests.RepoRoot(), "tests", "node-agents");

    // Settings a developer's shell may carry that would send an agent elsewhere or change how it authenticates.
    private static readonly string[] ForeignPrefixes = ["OPENAI_", "CODEX_", "ANTHROPIC_", "CLAUDE", "GEMINI_", "GOOGLE_", "XDG_"];

    public static async Task<AgentRun> RunAsync(string agent, Uri edge, string key, string model, string prompt, TimeSpan timeout)
    {
        var binary = Path.Combine(Folder, "node_modules", ".bin", agent switch { Codex => "codex", ClaudeCode => "claude", _ => "gemini" });
        Assert.True(File.Exists(binary), $"{binary} is missing: run scripts/test-deps.sh");
        var root = Directory.CreateTempSubdirectory("nexrelay-agent-");
        try
        {
            var home = Directory.CreateDirectory(Path.Combine(root.FullName, "home")).FullName;
            var work = Directory.CreateDirectory(Path.Combine(root.FullName, "work")).FullName;
            var tmp = Directory.CreateDirectory(Path.Combine(root.FullName, "tmp")).FullName;
            var start = new ProcessStartInfo(binary)
            {
                WorkingDirectory = work,
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            var env = start.Environment;
            foreach (var name in env.Keys.Where(k => ForeignPrefixes.Any(p => k.StartsWith(p, StringComparison.OrdinalIgnoreCase))).ToList()) env.Remove(name);
            env["HOME"] = home;
            env["TMPDIR"] = tmp;
            env["NO_COLOR"] = "1";
            var baseUrl = edge.ToString().TrimEnd('/');
            string[] args = agent switch
            {
                Codex => ConfigureCodex(home, baseUrl, key, model, prompt, env),
                ClaudeCode => ConfigureClaudeCode(baseUrl, key, model, prompt, env),
                _ => ConfigureGeminiCli(home, baseUrl, key, model, prompt, env),
            };
            foreach (var arg in args) start.ArgumentList.Add(arg);
            return await RunProcessAsync(start, timeout);
        }
        finally
        {
            try { root.Delete(recursive: true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    /// <summary>A model provider in config.toml speaking the Responses API, its key read from an environment variable.</summary>
    private static string[] ConfigureCodex(string home, string baseUrl, string key, string model, string prompt, IDictionary<string, string?> env)
    {
        var codexHome = Directory.CreateDirectory(Path.Combine(home, ".codex")).FullName;
        File.WriteAllText(Path.Combine(codexHome, "config.toml"), $"""
            model = "{model}"
            model_provider = "nexrelay"

            [model_providers.nexrelay]
            name = "NexRelay"
            base_url = "{baseUrl}/api/v1"
            wire_api = "responses"
            env_key = "NEXRELAY_API_KEY"
            """);
        env["NEXRELAY_API_KEY"] = key;
        // exec: one turn, no prompts; the working folder is no git repository.
        return ["exec", "--skip-git-repo-check", "--color", "never", "-m", model, prompt];
    }

    private static string[] ConfigureClaudeCode(string baseUrl, string key, string model, string prompt, IDictionary<string, string?> env)
    {
        env["ANTHROPIC_BASE_URL"] = baseUrl;
        env["ANTHROPIC_API_KEY"] = key;
        // No update checks, telemetry or error reports: every request goes to NexRelay.
        env["CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC"] = "1";
        return ["-p", "--model", model, prompt];
    }

    private static string[] ConfigureGeminiCli(string home, string baseUrl, string key, string model, string prompt, IDictionary<string, string?> env)
    {
        var settings = Directory.CreateDirectory(Path.Combine(home, ".gemini")).FullName;
        File.WriteAllText(Path.Combine(settings, "settings.json"), """{"security":{"auth":{"selectedType":"gemini-api-key"}}}""");
        env["GOOGLE_GEMINI_BASE_URL"] = baseUrl;
        env["GEMINI_API_KEY"] = key;
        // Non-interactive runs refuse an untrusted folder.
        env["GEMINI_CLI_TRUST_WORKSPACE"] = "true";
        return ["-p", prompt, "-m", model];
    }

    private static async Task<AgentRun> RunProcessAsync(ProcessStartInfo start, TimeSpan timeout)
    {
        var stdout = new StringBuilder();
        var stderr = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (stdout) stdout.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.AppendLine(e.Data); };
        var clock = Stopwatch.StartNew();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // No standard input: an agent that would wait for more of the prompt reads end-of-file at once.
        process.StandardInput.Close();
        int? exitCode;
        using (var cts = new CancellationTokenSource(timeout))
        {
            try
            {
                await process.WaitForExitAsync(cts.Token);
                exitCode = process.ExitCode;
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                exitCode = null;
            }
        }
        // Let the last lines of output arrive, without waiting on a child that still holds the pipes.
        await Task.WhenAny(process.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(5)));
        string Read(StringBuilder b) { lock (b) return b.ToString(); }
        return new AgentRun(exitCode, Read(stdout), Read(stderr), clock.Elapsed);
    }
}

/// <summary>How an agent run ended: its exit code (null when it was killed on timeout) and everything it printed.</summary>
internal sealed record AgentRun(int? ExitCode, string Stdout, string Stderr, TimeSpan Took)
{
    /// <summary>The end of both outputs, for a failure message.</summary>
    public string Describe() =>
        $"exit {(ExitCode?.ToString() ?? "none: killed on timeout")} after {Took.TotalSeconds:0.0} s\n--- stdout (tail)\n{Tail(Stdout)}\n--- stderr (tail)\n{Tail(Stderr)}";

    private static string Tail(string text, int chars = 3000) => text.Length <= chars ? text : "…" + text[^chars..];
}
