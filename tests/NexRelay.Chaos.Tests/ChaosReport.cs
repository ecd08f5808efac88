using System.Collections.Concurrent;
using System.Text;

namespace NexRelay.Chaos.Tests;

/// <summary>The table every scenario adds a row to: printed and written to results/latest.md when the suite ends.</summary>
public sealed class ChaosReport
{
    private readonly ConcurrentQueue<string> _rows = new();

    public void Add(string scenario, Verdict verdict, string faults)
    {
        var row = $"| {scenario} | {verdict.Requests} | {faults} | {verdict.Charged} | {verdict.Logged} | {verdict.Lost} | {verdict.Duplicated} | " +
            $"{verdict.Overspend} | {verdict.Recovery.TotalSeconds:0.0} s | {(verdict.Violations.Count == 0 ? "pass" : "FAIL: " + string.Join("; ", verdict.Violations.Take(3)).Replace('|', '/'))} |";
        _rows.Enqueue(row);
        Console.WriteLine(row);
    }

    public void Write()
    {
        if (_rows.IsEmpty) return;
        var text = new StringBuilder()
            .AppendLine($"Chaos suite, {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores (tests/NexRelay.Chaos.Tests).")
            .AppendLine()
            .AppendLine("| Scenario | Requests | Faults injected | Charged | Logged | Lost | Duplicated | Overspend (µUSD) | Time to recover | Result |")
            .AppendLine("|---|---|---|---|---|---|---|---|---|---|");
        foreach (var row in _rows) text.AppendLine(row);
        var table = text.ToString();
        Console.WriteLine(table);
        var results = Path.Combine(ChaosCluster.RepoRoot(), "tests", "NexRelay.Chaos.Tests", "results");
        Directory.CreateDirectory(results);
        File.WriteAllText(Path.Combine(results, "latest.md"), table);
    }
}
