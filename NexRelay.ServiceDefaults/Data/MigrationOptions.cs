using System.ComponentModel.DataAnnotations;

namespace NexRelay.ServiceDefaults.Data;

public enum MigrationMode
{
    /// <summary>The service applies its migrations at start (./run.sh, the tests, a single-user installation).</summary>
    Apply,

    /// <summary>
    /// The service never changes the schema: a migration step (the image run with <c>--migrate</c>, a Kubernetes Job) does,
    /// with a user that may; the service waits until the schema has what it needs.
    /// </summary>
    Verify,
}

/// <summary><c>NexRelay:Migrations</c>: who changes the schema and how long a change may wait for a table lock.</summary>
public sealed class MigrationOptions
{
    public const string SectionName = "NexRelay:Migrations";

    public MigrationMode Mode { get; set; } = MigrationMode.Apply;

    /// <summary>
    /// How long one DDL statement may wait for a table lock (PostgreSQL <c>lock_timeout</c>). Bounded because an ALTER
    /// queued behind a long query makes every later query on that table queue behind the ALTER.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00", ErrorMessage = "NexRelay:Migrations:LockTimeout must be between 100 ms and 10 minutes.")]
    public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Runs that gave up on a lock are tried again, from the start, up to this many times in all.</summary>
    [Range(1, 100, ErrorMessage = "NexRelay:Migrations:LockAttempts must be between 1 and 100.")]
    public int LockAttempts { get; set; } = 5;

    /// <summary>Verify: how long a starting service waits for the schema before it fails (and its pod restarts to wait again).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00", ErrorMessage = "NexRelay:Migrations:VerifyTimeout must be between 1 second and 1 hour.")]
    public TimeSpan VerifyTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Verify: how often the schema is looked at again while it is behind.</summary>
    public TimeSpan VerifyInterval { get; set; } = TimeSpan.FromSeconds(2);
}
