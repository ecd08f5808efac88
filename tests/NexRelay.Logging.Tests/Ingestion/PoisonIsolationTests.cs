using System.Text.Json;
using MassTransit;
using NexRelay.Contracts.Messages;
using NexRelay.ServiceDefaults.Messaging.DeadLetters;
using Npgsql;

namespace NexRelay.Logging.Tests.Ingestion;

/// <summary>The pure parts of poison isolation (shared by billing and logging): bisection, failure classes, per-event reading.</summary>
public sealed class PoisonIsolationTests
{
    [Fact]
    public async Task Bisection_isolates_each_poison_item_and_processes_the_rest_in_batches()
    {
        var items = Enumerable.Range(0, 64).ToArray();
        var processed = new List<int>();
        var calls = 0;

        var poisoned = await PoisonIsolation.ProcessAsync(items, (batch, _) =>
        {
            calls++;
            if (batch.Contains(13) || batch.Contains(40)) throw new PostgresException("new row violates check constraint", "ERROR", "ERROR", "23514");
            processed.AddRange(batch);
            return Task.CompletedTask;
        }, CancellationToken.None);

        Assert.Equal([13, 40], poisoned.Select(p => p.Item));
        Assert.All(poisoned, p => Assert.Equal("23514", ((PostgresException)p.Error).SqlState));
        Assert.Equal(items.Except([13, 40]), processed.Order());
        // The whole batch, then two paths of six halvings each down to a single item, and their other halves.
        Assert.InRange(calls, 1 + 2 * 6, 1 + 4 * 6);
    }

    [Fact]
    public async Task A_transient_failure_anywhere_is_rethrown_for_the_whole_message_to_be_retried()
    {
        var calls = 0;
        await Assert.ThrowsAsync<NpgsqlException>(() => PoisonIsolation.ProcessAsync(Enumerable.Range(0, 8).ToArray(), (batch, _) =>
        {
            // The batch fails for its poison item, then the database goes away while the halves are tried.
            if (++calls == 1) throw new PostgresException("invalid byte sequence", "ERROR", "ERROR", "22021");
            throw new NpgsqlException("Exception while reading from stream", new IOException("connection reset"));
        }, CancellationToken.None));
        Assert.Equal(2, calls);
    }

    [Theory]
    [InlineData("22021", true)]  // invalid byte sequence (a NUL)
    [InlineData("22003", true)]  // numeric value out of range
    [InlineData("23514", true)]  // check constraint
    [InlineData("23505", true)]  // unique violation
    [InlineData("54000", true)]  // index row too large
    [InlineData("40001", false)] // serialization failure
    [InlineData("40P01", false)] // deadlock
    [InlineData("57P01", false)] // terminated by the administrator (a restart)
    [InlineData("55000", false)] // database not accepting connections
    [InlineData("53300", false)] // too many connections
    [InlineData("42P01", false)] // undefined table: a deployment fault, not the event's
    public void Only_errors_that_name_the_data_are_poison(string sqlState, bool poison) =>
        Assert.Equal(poison, MessageFailure.IsPoison(new PostgresException("message", "ERROR", "ERROR", sqlState)));

    [Fact]
    public void Connection_and_protocol_failures_are_transient_bugs_in_handling_one_event_are_poison()
    {
        Assert.False(MessageFailure.IsPoison(new NpgsqlException("Exception while connecting", new IOException())));
        Assert.False(MessageFailure.IsPoison(new TimeoutException()));
        Assert.False(MessageFailure.IsPoison(new OperationCanceledException()));
        Assert.False(MessageFailure.IsPoison(new Exception("Received unexpected backend message DataRow. Please file a bug.") { Source = "Npgsql" }));
        Assert.True(MessageFailure.IsPoison(new ArgumentOutOfRangeException("costMicros")));
        Assert.True(MessageFailure.IsPoison(new NullReferenceException()));
    }

    [Fact]
    public void Each_event_is_read_on_its_own_one_that_cannot_be_read_is_a_malformed_dead_letter()
    {
        var good = Events.Make(Guid.NewGuid());
        using var envelope = JsonDocument.Parse($$"""
            [{{JsonSerializer.Serialize(good, new JsonSerializerOptions(JsonSerializerDefaults.Web))}},
             null,
             {"requestId":"req_bad","createdAt":"2026-01-01T00:00:00Z","clientFormat":"gemini","route":"/v1beta","status":"two hundred"},
             42]
            """);

        var read = RequestEvents.Read(envelope.RootElement.EnumerateArray());

        Assert.Equal(good.RequestId, Assert.Single(read.Events).Event.RequestId);
        Assert.Equal(1, read.Empty);
        Assert.Equal(2, read.Malformed.Count);
        Assert.All(read.Malformed, m => Assert.Equal(DeadLetterKinds.Malformed, m.Kind));
        Assert.Equal("req_bad", read.Malformed[0].RequestId);
        Assert.Contains("status", read.Malformed[0].Reason, StringComparison.Ordinal);
        Assert.Null(read.Malformed[1].RequestId);
    }

    [Fact]
    public void The_json_views_are_the_contracts_message_types_on_the_wire()
    {
        Assert.Equal(MessageUrn.ForTypeString<RequestsCompleted>(), MessageUrn.ForTypeString<RequestsCompletedJson>());
        Assert.Equal(MessageUrn.ForTypeString<RequestCompleted>(), MessageUrn.ForTypeString<RequestCompletedJson>());
    }
}
