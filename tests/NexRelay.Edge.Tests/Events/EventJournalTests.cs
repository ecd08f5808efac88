using Microsoft.Extensions.Logging.Abstractions;
using NexRelay.Edge.Events;

namespace NexRelay.Edge.Tests.Events;

/// <summary>The write-ahead journal: what a killed process leaves behind is replayed, what was confirmed is gone.</summary>
public sealed class EventJournalTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"nexrelay-journal-{Guid.NewGuid():N}");

    private string JournalPath => Path.Combine(_path, "journal");

    public void Dispose()
    {
        if (Directory.Exists(_path)) Directory.Delete(_path, recursive: true);
    }

    [Fact]
    public void Events_journaled_and_never_confirmed_are_replayed_by_the_next_process()
    {
        // A process journals three events and is killed (no Dispose, no Done): the kernel has the lines.
        var spool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        var journal = new EventJournal(JournalPath, spool, NullLogger<EventJournal>.Instance);
        foreach (var id in new[] { "req_1", "req_2", "req_3" }) journal.Append(EventHosts.Event(id));
        journal.Append(EventHosts.Event("req_4"));
        Assert.Equal(4, File.ReadAllLines(Directory.GetFiles(JournalPath).Single()).Length);

        // The next process hands them to its spool before anything else.
        using var nextSpool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        using var nextJournal = new EventJournal(JournalPath, nextSpool, NullLogger<EventJournal>.Instance);
        Assert.Equal(4, nextSpool.PendingEvents);
        Assert.Empty(Directory.GetFiles(JournalPath, "journal-*"));
        Assert.Equal(["req_1", "req_2", "req_3", "req_4"], nextSpool.Seal().SelectMany(nextSpool.Read).Select(e => e.RequestId));
    }

    [Fact]
    public void A_full_segment_is_deleted_once_every_event_in_it_is_done_and_not_before()
    {
        using var spool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        using var journal = new EventJournal(JournalPath, spool, NullLogger<EventJournal>.Instance);
        var segments = Enumerable.Range(0, EventJournal.MaxEventsPerSegment + 1).Select(i => journal.Append(EventHosts.Event($"req_{i}"))).ToList();
        var first = segments[0];
        Assert.Equal(2, journal.SegmentCount);

        journal.Done(first, EventJournal.MaxEventsPerSegment - 1);
        Assert.Equal(2, journal.SegmentCount); // one event of the full segment is still out
        journal.Done(first);
        Assert.Equal(1, journal.SegmentCount);
        Assert.Single(Directory.GetFiles(JournalPath));
    }

    [Fact]
    public void A_graceful_stop_with_everything_confirmed_leaves_nothing_to_replay()
    {
        var spool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        using (var journal = new EventJournal(JournalPath, spool, NullLogger<EventJournal>.Instance))
        {
            var segment = journal.Append(EventHosts.Event("req_1"));
            journal.Append(EventHosts.Event("req_2"));
            journal.Done(segment, 2);
        }
        spool.Dispose();
        using var nextSpool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        using var nextJournal = new EventJournal(JournalPath, nextSpool, NullLogger<EventJournal>.Instance);
        Assert.Equal(0, nextSpool.PendingEvents);
        Assert.False(nextSpool.HasPending);
    }

    [Fact]
    public void A_line_torn_by_the_kill_is_skipped_and_the_rest_replays()
    {
        var spool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        var journal = new EventJournal(JournalPath, spool, NullLogger<EventJournal>.Instance);
        journal.Append(EventHosts.Event("req_1"));
        File.AppendAllText(Directory.GetFiles(JournalPath).Single(), "{\"requestId\":\"req_2\",\"cre");

        using var nextSpool = new EventSpool(_path, NullLogger<EventSpool>.Instance);
        using var nextJournal = new EventJournal(JournalPath, nextSpool, NullLogger<EventJournal>.Instance);
        Assert.Equal(["req_1"], nextSpool.Seal().SelectMany(nextSpool.Read).Select(e => e.RequestId));
    }
}
