using System.Threading.Channels;
using Microsoft.Extensions.Options;
using NexRelay.Contracts.Keys;
using StackExchange.Redis;

namespace NexRelay.KeyPolicy.Keys;

/// <summary>
/// Puts Redis right after it missed writes. A pass rewrites the snapshot of every key changed within
/// <c>NexRelay:KeySnapshotTtl</c> (plus <see cref="Slack"/>) and the revoked tombstone of every hash a rotation retired in that
/// time, each only over an older version: any older snapshot still in Redis was written before its key's latest change, so it
/// expires within that window, and a pass covers every one that may be left. Passes run at start, whenever the Redis
/// connection is restored (a failover or restart may bring back old data) and after any failed write, and are retried with
/// backoff until one succeeds. Edges that saw the <c>KeyChanged</c> never rely on it (they refuse the older snapshot); it is
/// for edges that started since, and to spare key-policy their lookups.
/// </summary>
internal sealed partial class KeySnapshotRepair : BackgroundService
{
    /// <summary>A change's snapshot may reach Redis a little after its updated_at (publish, commit, a slow lookup's refill).</summary>
    public static readonly TimeSpan Slack = TimeSpan.FromMinutes(1);

    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(500);
    private static readonly TimeSpan MaxRetry = TimeSpan.FromSeconds(10);
    private const int BatchSize = 256;

    private readonly KeyStore _store;
    private readonly KeySnapshotWriter _writer;
    private readonly IConnectionMultiplexer _redis;
    private readonly KeyPolicyOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<KeySnapshotRepair> _logger;
    // At most one pass waiting: requests while one is pending fold into it; one arriving during a pass runs another after it.
    private readonly Channel<bool> _requests = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public KeySnapshotRepair(KeyStore store, KeySnapshotWriter writer, IConnectionMultiplexer redis, IOptions<KeyPolicyOptions> options,
        TimeProvider time, ILogger<KeySnapshotRepair> logger)
    {
        _store = store;
        _writer = writer;
        _redis = redis;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _redis.ConnectionRestored += OnConnectionRestored;
        Request();
    }

    /// <summary>Asks for a pass (after a failed write); returns at once.</summary>
    public void Request() => _requests.Writer.TryWrite(true);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (await _requests.Reader.WaitToReadAsync(stoppingToken))
        {
            _requests.Reader.TryRead(out _);
            for (var attempt = 0; !await TryPassAsync(stoppingToken); attempt++)
            {
                var delay = TimeSpan.FromTicks(Math.Min(MaxRetry.Ticks, FirstRetry.Ticks << Math.Min(attempt, 16)));
                LogRetrying(_logger, delay.TotalSeconds);
                await Task.Delay(delay, _time, stoppingToken);
            }
        }
    }

    public override void Dispose()
    {
        _redis.ConnectionRestored -= OnConnectionRestored;
        base.Dispose();
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e) => Request();

    private async Task<bool> TryPassAsync(CancellationToken ct)
    {
        if (!_redis.IsConnected) return false;
        var window = _options.KeySnapshotTtl + Slack;
        var batch = new List<(string KeyHash, KeySnapshot Snapshot)>(BatchSize);
        var written = 0;
        try
        {
            await foreach (var key in _store.ChangedWithinAsync(window, ct))
            {
                batch.Add((key.KeyHash, key.ToSnapshot()));
                if (batch.Count == BatchSize && !await FlushAsync()) return false;
            }
            await foreach (var (retiredHash, key) in _store.RetiredWithinAsync(window, ct))
            {
                batch.Add((retiredHash, key.ToTombstone()));
                if (batch.Count == BatchSize && !await FlushAsync()) return false;
            }
            if (batch.Count > 0 && !await FlushAsync()) return false;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            // Never let a failure end the loop (an exception escaping a BackgroundService stops the host): retry instead.
            LogPassFailed(_logger, ex.Message);
            return false;
        }
        LogRepaired(_logger, written);
        return true;

        async Task<bool> FlushAsync()
        {
            if (!await _writer.TryWriteAllAsync(batch)) return false;
            written += batch.Count;
            batch.Clear();
            return true;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Redis key snapshot pass done: {Count} snapshots of recently changed keys and retired hashes written, none over a newer one")]
    private static partial void LogRepaired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis key snapshot repair failed: {Error}")]
    private static partial void LogPassFailed(ILogger logger, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis key snapshots may be stale; next repair pass in {Seconds} s")]
    private static partial void LogRetrying(ILogger logger, double seconds);
}
