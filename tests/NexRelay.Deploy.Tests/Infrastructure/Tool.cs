using System.ComponentModel;
using System.Diagnostics;

namespace NexRelay.Deploy.Tests.Infrastructure;

internal sealed record ToolResult(int ExitCode, string StandardOutput, string StandardError)
{
    public string Describe() => $"exit {ExitCode}\n--- stderr ---\n{StandardError}\n--- stdout ---\n{Truncate(StandardOutput)}";

    private static string Truncate(string text) => text.Length <= 4000 ? text : text[..4000] + "…";
}

/// <summary>Runs a command-line tool (kubectl, node, npm) and fails with a clear message when it is not installed.</summary>
internal static class Tool
{
    public static async Task<ToolResult> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, string? standardInput = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);

        Process process;
        try
        {
            process = Process.Start(info) ?? throw new InvalidOperationException($"{fileName} did not start.");
        }
        catch (Win32Exception ex)
        {
            throw new InvalidOperationException(
                $"'{fileName}' is required by the deploy tests and was not found on PATH ({ex.Message}). {InstallHint(fileName)}", ex);
        }

        using (process)
        using (var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromMinutes(3)))
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cts.Token);
            var stderr = process.StandardError.ReadToEndAsync(cts.Token);
            if (standardInput is not null) await process.StandardInput.WriteAsync(standardInput.AsMemory(), cts.Token);
            process.StandardInput.Close();
            try
            {
                await process.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"{fileName} {string.Join(' ', info.ArgumentList)} did not finish in time.");
            }
            return new ToolResult(process.ExitCode, await stdout, await stderr);
        }
    }

    private static string InstallHint(string fileName) => fileName switch
    {
        "kubectl" => "Install kubectl (it carries kustomize), e.g. the Debian package 'kubectl'; no cluster is needed.",
        "node" or "npm" => "Install Node.js 20+ with npm.",
        _ => "",
    };
}
