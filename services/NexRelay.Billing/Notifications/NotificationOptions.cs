using System.ComponentModel.DataAnnotations;

namespace NexRelay.Billing.Notifications;

/// <summary>Settings under <c>NexRelay:Notifications</c> (low-balance webhooks).</summary>
public sealed class NotificationOptions
{
    public const string Section = "NexRelay:Notifications";

    /// <summary>
    /// Hosts (<c>name</c>, or <c>name:port</c>) a webhook may reach although they resolve to internal addresses. Empty by
    /// default; the local run allows the simulated provider's receiver. Every other host must resolve to public addresses.
    /// </summary>
    public string[] AllowedHosts { get; set; } = [];

    /// <summary>Allowed hosts may be called over plain HTTP (the local run and tests only; everything else needs HTTPS).</summary>
    public bool AllowHttpForAllowedHosts { get; set; }

    /// <summary>A threshold crossed again within this long of its last event sends nothing (a flapping balance does not spam).</summary>
    [Range(0, 24 * 3600)]
    public int FlapWindowSeconds { get; set; } = 60;

    /// <summary>How often thresholds are checked and due deliveries sent when nothing nudges the worker sooner.</summary>
    [Range(50, 60_000)]
    public int PollMilliseconds { get; set; } = 1000;

    /// <summary>Attempts per event before it is given up (state <c>failed</c>).</summary>
    [Range(1, 50)]
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Wait before the second attempt; each further one waits twice as long, up to <see cref="MaxRetrySeconds"/>.</summary>
    [Range(10, 3_600_000)]
    public int FirstRetryMilliseconds { get; set; } = 5000;

    [Range(1, 24 * 3600)]
    public int MaxRetrySeconds { get; set; } = 3600;

    /// <summary>One attempt's limit: connect, send and the receiver's status.</summary>
    [Range(1, 120)]
    public int AttemptTimeoutSeconds { get; set; } = 10;
}
