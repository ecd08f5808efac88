using Microsoft.Extensions.Logging.Abstractions;
using NexRelay.Edge.Events;

namespace NexRelay.Edge.Tests.Events;

public sealed class EventSpoolTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"nexrelay-spool-{Guid.NewGuid():N}");

    public void Dispose()
    {
        if (Directory.Exists(_path)) Directory.Delete(_path, recursive: true);
    }

    [Fact]
    public void Appended_events_survive_a_new_spool_instance_field_for_field()
    {
        var original = EventHosts.Event("req_1") with { HeldMicros = 1234, TtftMs = 5.5, RequestBody = "{\"a\":\"b\"}" };
        using (var spool = new EventSpool(_path, NullLogger<EventSpool>.Instance))
        {
            spool.Append([original, EventHosts.Event("req_2")], flushToDisk: true);
        }

        using var reopened = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        Assert.True(reopened.HasPending);
        Assert.Equal(2, reopened.PendingEvents);
        var events = reopened.Seal().SelectMany(reopened.Read).ToList();
        Assert.Equal(["req_1", "req_2"], events.Select(e => e.RequestId));
        Assert.Equal(original, events[0]);
    }

    [Fact]
    public void A_torn_last_line_is_skipped_and_the_rest_replays()
    {
        using var spool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        spool.Append([EventHosts.Event("req_1")], flushToDisk: true);
        var segment = Assert.Single(spool.Seal());
        File.AppendAllText(segment, "{\"requestId\":\"req_2\",\"crea");

        Assert.Equal(["req_1"], spool.Read(segment).Select(e => e.RequestId));
    }

    [Fact]
    public void Sealing_starts_a_new_segment_so_replayed_segments_can_be_deleted()
    {
        using var spool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        Assert.False(spool.HasPending);
        spool.Append([EventHosts.Event("req_1")], flushToDisk: true);
        var sealedSegments = spool.Seal();
        spool.Append([EventHosts.Event("req_2")], flushToDisk: true);

        Assert.Equal(2, spool.PendingEvents);
        foreach (var segment in sealedSegments) spool.Delete(segment);
        Assert.True(spool.HasPending);
        Assert.Equal(1, spool.PendingEvents);
        Assert.Equal(["req_2"], spool.Seal().SelectMany(spool.Read).Select(e => e.RequestId));
    }

    private long BytesOnDisk() => Directory.GetFiles(_path, "events-*.jsonl").Sum(f => new FileInfo(f).Length);

    [Fact]
    public void Pending_bytes_are_the_segments_on_disk_through_appends_adoption_deletion_and_a_restart()
    {
        using (var spool = new EventSpool(_path, NullLogger<EventSpool>.Instance))
        {
            Assert.Equal(0, spool.PendingBytes);
            spool.Append([EventHosts.Event("req_1"), EventHosts.Event("req_2")], flushToDisk: true);
            var first = spool.Seal();
            spool.Append([EventHosts.Event("req_3") with { RequestBody = new string('x', 5000) }], flushToDisk: true);
            spool.FlushToDisk();
            Assert.Equal(BytesOnDisk(), spool.PendingBytes);
            Assert.True(spool.PendingBytes > 5000);

            var orphan = Path.Combine(Path.GetTempPath(), $"nexrelay-orphan-{Guid.NewGuid():N}.jsonl");
            File.WriteAllText(orphan, System.Text.Json.JsonSerializer.Serialize(EventHosts.Event("req_4"), new System.Text.Json.JsonSerializerOptions(System.Text.Json.JsonSerializerDefaults.Web)) + "\n");
            spool.Adopt(orphan);
            Assert.Equal(BytesOnDisk(), spool.PendingBytes);

            foreach (var segment in first) spool.Delete(segment);
            Assert.Equal(BytesOnDisk(), spool.PendingBytes);
        }
        using var reopened = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        Assert.Equal(BytesOnDisk(), reopened.PendingBytes);
        foreach (var segment in reopened.Seal()) reopened.Delete(segment);
        Assert.Equal(0, reopened.PendingBytes);
    }
}
