using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.ServiceDefaults;
using NexRelay.Testing;
using Aspire.Hosting.Testing;
using RabbitMQ.Client;

namespace NexRelay.Chaos.Tests;

/// <summary>
/// Issue 17's last invariant, for what the database and spool checks in <see cref="Truth"/> cannot see: no API key, admin
/// token, key-hash secret or provider key in clear in any service's log output, any trace, metric or log record the services
/// export (OTLP, received here), or any message on RabbitMQ (a tap queue bound to every NexRelay exchange). Each source is
/// scanned as it arrives, for every secret known by then; the counters prove each source was actually watched.
/// </summary>
public sealed class SecretWatch : IAsyncDisposable
{
    private static readonly string[] Exchanges =
        ["NexRelay.Contracts.Messages:RequestsCompleted", "NexRelay.Contracts.Messages:RequestCompleted", "NexRelay.Contracts.Messages:KeyChanged"];

    private readonly ConcurrentDictionary<string, byte[]> _secrets = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _found = new();
    private readonly HttpListener _otlp = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<Task> _watchers = [];
    private readonly string _tapQueue = "chaos-tap-" + Guid.NewGuid().ToString("N")[..8];
    private long _logLines;
    private long _telemetryBytes;
    private long _brokerMessages;

    public SecretWatch(int otlpPort)
    {
        OtlpEndpoint = $"http://127.0.0.1:{otlpPort}";
        _otlp.Prefixes.Add(OtlpEndpoint + "/");
    }

    /// <summary>Where the services send OTLP/HTTP (traces, metrics, logs).</summary>
    public string OtlpEndpoint { get; }

    /// <summary>
    /// Points every service's OpenTelemetry exporter here (the test host runs no dashboard, so Aspire gives them none), with
    /// short export intervals so a scenario's telemetry arrives before its check.
    /// </summary>
    public void ExportTelemetryFrom(IDistributedApplicationTestingBuilder builder)
    {
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context =>
            {
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_ENDPOINT"] = OtlpEndpoint;
                context.EnvironmentVariables["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf";
                context.EnvironmentVariables["OTEL_BSP_SCHEDULE_DELAY"] = "1000";
                context.EnvironmentVariables["OTEL_BLRP_SCHEDULE_DELAY"] = "1000";
                context.EnvironmentVariables["OTEL_METRIC_EXPORT_INTERVAL"] = "2000";
            }));
        }
    }

    public long LogLines => Interlocked.Read(ref _logLines);
    public long TelemetryBytes => Interlocked.Read(ref _telemetryBytes);
    public long BrokerMessages => Interlocked.Read(ref _brokerMessages);

    public void Add(string secret) => _secrets.TryAdd(secret, Encoding.UTF8.GetBytes(secret));

    public void StartOtlpSink()
    {
        _otlp.Start();
        _watchers.Add(Task.Run(ReceiveOtlpAsync));
    }

    /// <summary>Follows the console output of NexRelay's own services (the simulated upstream is not ours).</summary>
    public void WatchLogs(DistributedApplication app)
    {
        var logs = app.Services.GetRequiredService<ResourceLoggerService>();
        var model = app.Services.GetRequiredService<DistributedApplicationModel>();
        string[] ours = [ResourceNames.Billing, ResourceNames.KeyPolicy, ResourceNames.Logging, .. ChaosCluster.EdgeNames];
        foreach (var resource in model.Resources.Where(r => ours.Contains(r.Name)))
        {
            _watchers.Add(Task.Run(async () =>
            {
                try
                {
                    await foreach (var batch in logs.WatchAsync(resource).WithCancellation(_stop.Token))
                    {
                        foreach (var line in batch)
                        {
                            Interlocked.Increment(ref _logLines);
                            Scan($"{resource.Name}'s log", Encoding.UTF8.GetBytes(line.Content));
                        }
                    }
                }
                catch (OperationCanceledException)
                {
                }
            }));
        }
    }

    /// <summary>A durable queue (bounded, oldest dropped) bound to every NexRelay exchange receives a copy of every message.</summary>
    public async Task TapBrokerAsync()
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMq) }.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        await channel.QueueDeclareAsync(_tapQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-max-length"] = 50_000 });
        foreach (var exchange in Exchanges)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false);
            await channel.QueueBindAsync(_tapQueue, exchange, routingKey: "");
        }
    }

    /// <summary>Scans what the tap holds and every finding so far (each reported once).</summary>
    public async Task<List<string>> DrainAsync()
    {
        await using (var connection = await new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMq) }.CreateConnectionAsync())
        await using (var channel = await connection.CreateChannelAsync())
        {
            while (await channel.BasicGetAsync(_tapQueue, autoAck: true) is { } message)
            {
                Interlocked.Increment(ref _brokerMessages);
                Scan("a RabbitMQ message", message.Body.Span);
            }
        }
        var found = new List<string>();
        while (_found.TryDequeue(out var finding)) found.Add(finding);
        return found;
    }

    private void Scan(string source, ReadOnlySpan<byte> content)
    {
        foreach (var (secret, bytes) in _secrets)
        {
            if (content.IndexOf(bytes) >= 0) _found.Enqueue($"a secret ({secret[..Math.Min(8, secret.Length)]}…) in clear in {source}");
        }
    }

    private async Task ReceiveOtlpAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await _otlp.GetContextAsync();
            }
            catch (Exception ex) when (ex is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }
            try
            {
                using var body = new MemoryStream();
                await context.Request.InputStream.CopyToAsync(body);
                Interlocked.Add(ref _telemetryBytes, body.Length);
                Scan($"exported telemetry ({context.Request.Url?.AbsolutePath})", body.GetBuffer().AsSpan(0, (int)body.Length));
                context.Response.StatusCode = 200;
                context.Response.ContentType = "application/x-protobuf";
            }
            catch (Exception ex) when (ex is IOException or HttpListenerException)
            {
                context.Response.StatusCode = 500;
            }
            finally
            {
                context.Response.Close();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_otlp.IsListening) _otlp.Stop();
        _otlp.Close();
        await Task.WhenAll(_watchers).WaitAsync(TimeSpan.FromSeconds(10)).ContinueWith(_ => { });
        try
        {
            await using var connection = await new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMq) }.CreateConnectionAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(_tapQueue);
        }
        catch (Exception ex) when (ex is RabbitMQ.Client.Exceptions.BrokerUnreachableException or IOException)
        {
        }
        _stop.Dispose();
    }
}
