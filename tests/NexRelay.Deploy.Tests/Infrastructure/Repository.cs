namespace NexRelay.Deploy.Tests.Infrastructure;

/// <summary>Paths in the checkout, found by walking up from the test assembly to the folder holding NexRelay.sln.</summary>
internal static class Repository
{
    public static string Root { get; } = FindRoot();

    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    public static string Read(params string[] parts) => File.ReadAllText(PathOf(parts));

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "NexRelay.sln"))) return dir.FullName;
        }
        throw new InvalidOperationException($"No NexRelay.sln above {AppContext.BaseDirectory}.");
    }
}
