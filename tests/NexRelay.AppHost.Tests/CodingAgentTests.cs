using System.Diagnostics;
using System.Text.Json.Nodes;
using Xunit.Abstractions;
using static NexRelay.AppHost.Tests.EdgeCalls;

namespace NexRelay.AppHost.Tests;

/// <summary>
/// Issue 18: Codex CLI, Claude Code and Gemini CLI, run non-interactively as a user would, each on its own model and on a
/// model of each other upstream kind, with a plain prompt and with a tool round trip (the simulated provider calls the
/// agent's first tool when the prompt says <c>use_tool</c>; the agent runs or refuses it, sends the result back and gets
/// the text answer). Every call the agent made must be in the key's logs, answered 200, and paid from the wallet.
/// In the cluster collection, so the runs take turns with each other and with the other cluster tests (2 cores).
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class CodingAgentTests(ClusterFixture cluster, ITestOutputHelper output)
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);
    private const decimal Credit = 50m;

    /// <summary>The simulated answer's first words (the simulated provider's Vocabulary.Words).</summary>
    private const string Answer = "time year people way day man thing woman life child";

    public static TheoryData<string, string> AgentsAndModels()
    {
        var data = new TheoryData<string, string>();
        foreach (var agent in CodingAgents.All)
        {
            var native = CodingAgents.NativeModel(agent);
            data.Add(agent, native);
            foreach (var model in CodingAgents.ModelPerKind.Where(m => Kind(m) != Kind(native))) data.Add(agent, model);
        }
        return data;
    }

    private static string Kind(string model) => model.StartsWith("gpt-", StringComparison.Ordinal) ? "openai" : model.StartsWith("claude-", StringComparison.Ordinal) ? "anthropic" : "gemini";

    [Theory]
    [MemberData(nameof(AgentsAndModels))]
    public Task Agent_answers_a_plain_prompt(string agent, string model) =>
        RunAndCheckAsync(agent, model, "Say hello in one short sentence.", minCalls: 1);

    [Theory]
    [MemberData(nameof(AgentsAndModels))]
    public Task Agent_completes_a_tool_round_trip(string agent, string model) =>
        RunAndCheckAsync(agent, model, "use_tool once, then tell me what it returned.", minCalls: 2);

    private async Task RunAndCheckAsync(string agent, string model, string prompt, int minCalls)
    {
        var tenant = await Tenant.CreateAsync(cluster, Credit);
        // The directive rides in the user's text, which every request of the conversation repeats: the simulated provider
        // counts each request of this run under the tag.
        var tag = "agent-" + Guid.NewGuid().ToString("N");
        var run = await CodingAgents.RunAsync(agent, cluster.EdgeUrl, tenant.Key, model, $"{prompt} [sim:tag={tag}]", RunTimeout);
        var upstreamCalls = await Books.UpstreamCallsAsync(cluster, tag);
        // Every request that reached the upstream must be logged; one refused before it still leaves a row.
        var rows = await RowsAsync(tenant, Math.Max(1, upstreamCalls));
        var context = $"{agent} on {model}: {run.Describe()}\n--- {rows.Count} logged requests, {upstreamCalls} reached the upstream\n{Summary(rows)}";
        output.WriteLine(context);

        Assert.True(run.ExitCode == 0, context);
        Assert.True(run.Stdout.Contains(Answer, StringComparison.Ordinal), "the simulated answer is not on stdout\n" + context);
        Assert.True(rows.Count >= minCalls, $"expected at least {minCalls} logged requests\n" + context);
        Assert.True(rows.Count >= upstreamCalls, "a request that reached the upstream is missing from the logs\n" + context);
        Assert.True(rows.All(r => r["status"]!.GetValue<int>() == 200), "a logged request did not succeed\n" + context);
        Assert.True(rows.All(r => r["model"]?.GetValue<string>() == model), "a request used another model\n" + context);

        var cost = rows.Sum(r => r["cost_usd"]!.GetValue<decimal>());
        Assert.True(cost > 0, "the agent's requests cost nothing\n" + context);
        var balance = await BalanceAfterAsync(tenant, Credit - cost);
        Assert.True(balance == Credit - cost, $"wallet {balance} USD after {cost} USD of logged cost from {Credit} USD\n" + context);
    }

    /// <summary>The key's log rows once at least <paramref name="count"/> are stored (rows of a failed run may never come).</summary>
    private async Task<List<JsonObject>> RowsAsync(Tenant tenant, int count)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var rows = await AllLogsAsync(cluster.Edge, tenant.Key);
            if (rows.Count >= count || deadline.Elapsed > TimeSpan.FromSeconds(20)) return rows;
            await Task.Delay(200);
        }
    }

    /// <summary>The wallet's balance once its holds are settled and it reaches <paramref name="expected"/>, or after 20 s.</summary>
    private async Task<decimal> BalanceAfterAsync(Tenant tenant, decimal expected)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var balance = (await SettledCreditsAsync(cluster.Edge, tenant.Key))["balance_usd"]!.GetValue<decimal>();
            if (balance == expected || deadline.Elapsed > TimeSpan.FromSeconds(20)) return balance;
            await Task.Delay(200);
        }
    }

    private static string Summary(List<JsonObject> rows) => string.Join("\n", rows
        .OrderBy(r => r["created_at"]?.GetValue<string>(), StringComparer.Ordinal)
        .Select(r => $"  {r["route"]} {r["model"]} → {r["status"]} {r["error_code"]} cost {r["cost_usd"]} in {r["input_tokens"]} out {r["output_tokens"]}"));
}
