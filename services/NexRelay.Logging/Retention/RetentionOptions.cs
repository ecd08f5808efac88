using System.ComponentModel.DataAnnotations;

namespace NexRelay.Logging.Retention;

/// <summary>How long request logs (<c>Logging:RetentionDays</c>) and stored responses are kept, and how the purge runs.</summary>
public sealed class RetentionOptions
{
    public const string Section = "Logging";

    [Range(1, 36500, ErrorMessage = "Logging:RetentionDays must be between 1 and 36500.")]
    public int RetentionDays { get; set; } = 30;

    /// <summary>
    /// Days a stored Responses API response (store: true) can be continued and read back (<c>Logging:StoredResponseRetentionDays</c>);
    /// OpenAI keeps them 30 days by default.
    /// </summary>
    [Range(1, 36500, ErrorMessage = "Logging:StoredResponseRetentionDays must be between 1 and 36500.")]
    public int StoredResponseRetentionDays { get; set; } = 30;

    /// <summary>Time between purge runs (<c>Logging:PurgeInterval</c>, e.g. "00:10:00").</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "1.00:00:00", ErrorMessage = "Logging:PurgeInterval must be between 100 ms and 1 day.")]
    public TimeSpan PurgeInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Rows deleted per statement, so no purge holds many row locks or a long transaction.</summary>
    [Range(1, 100_000, ErrorMessage = "Logging:PurgeBatchSize must be between 1 and 100000.")]
    public int PurgeBatchSize { get; set; } = 5000;
}
