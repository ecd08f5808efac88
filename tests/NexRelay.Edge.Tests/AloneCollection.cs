namespace NexRelay.Edge.Tests;

/// <summary>
/// Tests that keep every core busy for seconds (a million keys resolved): they run after the others, alone, so the tests
/// that measure time ("within one second") never share the machine with them.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class AloneCollection
{
    public const string Name = "alone";
}
