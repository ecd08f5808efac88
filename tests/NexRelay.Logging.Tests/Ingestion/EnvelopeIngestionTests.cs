using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using System.Text.Json;
using NexRelay.Contracts.Messages;
using NexRelay.ServiceDefaults.Messaging.DeadLetters;
using Npgsql;

namespace NexRelay.Logging.Tests.Ingestion;

/// <summary><see cref="RequestsCompleted"/> envelopes (the edge's own batches) through the real RabbitMQ into the real database.</summary>
public sealed class EnvelopeIngestionTests(LoggingFixture fixture) : IClassFixture<LoggingFixture>
{
    [Fact]
    public async Task An_envelope_of_n_events_stores_n_rows()
    {
        var wallet = Guid.NewGuid();
        var events = Enumerable.Range(0, 40).Select(i => Events.Make(wallet, model: $"model-{i % 3}", costMicros: 1_000 + i)).ToArray();
        // An event without a request id can never be stored; it must not take the rest of its envelope down with it.
        var broken = Events.Make(wallet) with { RequestId = "" };

        await fixture.SendEnvelopeAsync([.. events, broken]);

        var rows = await fixture.WaitForWalletRowsAsync(wallet, events.Length);
        Assert.Equal(events.Select(e => e.RequestId).Order(StringComparer.Ordinal),
            rows.Select(r => r.GetProperty("request_id").GetString()!).Order(StringComparer.Ordinal));
        var row = await fixture.GetJsonAsync($"/admin/v1/logs/{events[7].RequestId}");
        Assert.Equal("model-1", row.GetProperty("model").GetString());
        Assert.Equal(0.001007m, row.GetProperty("cost_usd").GetDecimal());
    }

    [Fact]
    public async Task Envelopes_redelivered_or_overlapping_single_messages_store_each_event_once()
    {
        var wallet = Guid.NewGuid();
        using var deliveries = new DeliveryCounter(fixture.Factory.Services.GetRequiredService<IBus>(), wallet);
        var events = Enumerable.Range(0, 20).Select(_ => Events.Make(wallet)).ToArray();
        var late = Events.Make(wallet);

        await fixture.SendEnvelopeAsync(events);
        await fixture.SendEnvelopeAsync(events);                                   // redelivered whole
        await fixture.SendAsync(events[..5]);                                      // the same events as single messages
        await fixture.SendEnvelopeAsync([events[3], late, events[3], events[19]]); // overlapping, with a duplicate inside

        // Every delivery consumed without a fault, and one row per request id.
        await deliveries.WaitForAsync(20 + 20 + 5 + 4);
        Assert.Equal(0, deliveries.Faults);
        await using var command = fixture.DataSource.CreateCommand(
            "SELECT count(*), count(DISTINCT request_id) FROM request_logs WHERE wallet_id = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = wallet });
        await using var reader = await command.ExecuteReaderAsync();
        Assert.True(await reader.ReadAsync());
        Assert.Equal((21L, 21L), (reader.GetInt64(0), reader.GetInt64(1)));
        Assert.Equal(0u, await fixture.ErrorQueueDepthAsync());
    }

    [Fact]
    public async Task A_published_envelope_reaches_the_queue_through_its_message_type_binding()
    {
        var wallet = Guid.NewGuid();
        // Nothing for billing to settle if it listens.
        var events = Enumerable.Range(0, 3).Select(_ => Events.Make(wallet) with { HeldMicros = 0, CostMicros = 0 }).ToArray();
        await fixture.PublishEnvelopeAsync(events);
        await fixture.WaitForWalletRowsAsync(wallet, events.Length);
    }

    /// <summary>
    /// Counts this wallet's events consumed by the service (one per single message, one per envelope item) and the faults
    /// among them. Other fixtures' published events reach this queue too, hence the wallet filter. The consumer reads both
    /// message types as JSON, event by event, so these are the types it consumes.
    /// </summary>
    private sealed class DeliveryCounter : IConsumeMessageObserver<RequestCompletedJson>, IConsumeMessageObserver<RequestsCompletedJson>, IDisposable
    {
        private readonly string _wallet;
        private readonly ConnectHandle _single;
        private readonly ConnectHandle _envelope;
        private int _consumed;
        private int _faults;

        public DeliveryCounter(IBus bus, Guid wallet)
        {
            _wallet = wallet.ToString();
            _single = bus.ConnectConsumeMessageObserver<RequestCompletedJson>(this);
            _envelope = bus.ConnectConsumeMessageObserver<RequestsCompletedJson>(this);
        }

        public int Faults => Volatile.Read(ref _faults);

        private int Mine(IEnumerable<JsonElement>? events) =>
            (events ?? []).Count(e => e.TryGetProperty("walletId", out var w) && w.GetString() == _wallet);

        public Task PreConsume(ConsumeContext<RequestCompletedJson> context) => Task.CompletedTask;
        public Task PostConsume(ConsumeContext<RequestCompletedJson> context) => Add(ref _consumed, Mine([context.Message.Json]));
        public Task ConsumeFault(ConsumeContext<RequestCompletedJson> context, Exception exception) => Add(ref _faults, Mine([context.Message.Json]));
        public Task PreConsume(ConsumeContext<RequestsCompletedJson> context) => Task.CompletedTask;
        public Task PostConsume(ConsumeContext<RequestsCompletedJson> context) => Add(ref _consumed, Mine(context.Message.Requests));
        public Task ConsumeFault(ConsumeContext<RequestsCompletedJson> context, Exception exception) => Add(ref _faults, Mine(context.Message.Requests));

        private static Task Add(ref int counter, int n)
        {
            Interlocked.Add(ref counter, n);
            return Task.CompletedTask;
        }

        public async Task WaitForAsync(int events)
        {
            var deadline = DateTime.UtcNow.AddSeconds(30);
            while (Volatile.Read(ref _consumed) < events)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException($"{_consumed} of {events} events consumed, {Faults} faulted.");
                await Task.Delay(50);
            }
        }

        public void Dispose()
        {
            _single.Disconnect();
            _envelope.Disconnect();
        }
    }
}
