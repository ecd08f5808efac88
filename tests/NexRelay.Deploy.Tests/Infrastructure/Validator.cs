namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>
/// The offline Kubernetes schema validator in tests/node-deploy (npm kubernetes-models). Installs its packages once
/// (npm ci from the committed lock file) when node_modules is missing or older than the lock file.
/// </summary>
internal static class Validator
{
    private static readonly SemaphoreSlim InstallLock = new(1, 1);
    private static bool _installed;

    public static string Folder => Repository.PathOf("tests", "node-deploy");

    /// <summary>Validates a YAML stream; with <paramref name="emitJson"/> stdout is the objects as one JSON array.</summary>
    public static async Task<ToolResult> ValidateAsync(string yaml, bool emitJson = false)
    {
        await EnsureInstalledAsync();
        string[] arguments = emitJson ? ["validate.mjs", "--json"] : ["validate.mjs"];
        return await Tool.RunAsync("node", arguments, Folder, yaml);
    }

    private static async Task EnsureInstalledAsync()
    {
        await InstallLock.WaitAsync();
        try
        {
            if (_installed) return;
            var marker = Path.Combine(Folder, "node_modules", ".package-lock.json");
            var lockFile = Path.Combine(Folder, "package-lock.json");
            if (!File.Exists(marker) || File.GetLastWriteTimeUtc(marker) < File.GetLastWriteTimeUtc(lockFile))
            {
                var result = await Tool.RunAsync("npm", ["ci", "--no-audit", "--no-fund", "--loglevel=error"], Folder, timeout: TimeSpan.FromMinutes(5));
                if (result.ExitCode != 0) throw new InvalidOperationException($"npm ci in tests/node-deploy failed: {result.Describe()}");
            }
            _installed = true;
        }
        finally
        {
            InstallLock.Release();
        }
    }
}
