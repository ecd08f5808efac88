using Npgsql;

namespace NexRelay.Billing.Telemetry;

/// <summary>Open holds and leases and what they reserve, as of the last count.</summary>
public sealed record ReservationCounts(long OpenHolds, long HeldMicros, long OpenLeases, long LeasedMicros);

/// <summary>
/// Counts open holds and leases every few seconds for <see cref="BillingMetrics"/>' gauges. A gauge's callback runs on every
/// export and scrape, so it reads this cached count instead of querying; the counts use the partial indexes on open holds and
/// leases (Migrations/0001, 0003), so each is cheap. A failed count keeps the last one: metrics never fail billing.
/// </summary>
public sealed partial class ReservationCensus(NpgsqlDataSource dataSource, ILogger<ReservationCensus> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private const string CountSql = """
        SELECT (SELECT count(*) FROM holds WHERE state = 'held'),
               (SELECT coalesce(sum(amount), 0)::bigint FROM holds WHERE state = 'held'),
               (SELECT count(*) FROM leases WHERE state = 'open'),
               (SELECT coalesce(sum(held - captured), 0)::bigint FROM leases WHERE state = 'open' OR (state = 'closed' AND held > captured))
        """;

    private ReservationCounts _current = new(0, 0, 0, 0);

    public ReservationCounts Current => Volatile.Read(ref _current);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            do
            {
                try
                {
                    await CountAsync(stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    LogCountFailed(logger, ex);
                }
            }
            while (await timer.WaitForNextTickAsync(stoppingToken));
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    internal async Task CountAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(CountSql);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        Volatile.Write(ref _current, new ReservationCounts(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetInt64(3)));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Counting open holds and leases for metrics failed; the gauges keep the last count")]
    private static partial void LogCountFailed(ILogger logger, Exception exception);
}
