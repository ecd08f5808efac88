using System.Buffers;
using System.Text;
using System.Text.Json.Nodes;
using NexRelay.Edge.Translation.Sse;

namespace NexRelay.Edge.Tests.Translation;

public sealed class SseParserTests
{
    private const string Stream =
        ": keep-alive comment\n" +
        "event: message_start\ndata: {\"a\":1}\n\n" +
        "data: line one\ndata: line two\n\n" +
        "event: ping\r\ndata: {\"type\":\"ping\"}\r\n\r\n" +
        "id: 5\nretry: 100\ndata:no-space\n\n" +
        "data: [DONE]\n\n";

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(0)]
    [InlineData(10_000)]
    public void Events_are_identical_however_the_bytes_are_split(int chunkSize)
    {
        var events = TranslationHarness.ParseSse(Stream, chunkSize);

        Assert.Equal(5, events.Count);
        Assert.Equal(("message_start", "{\"a\":1}"), (events[0].EventName, events[0].DataText));
        Assert.Equal((null, "line one\nline two"), (events[1].EventName, events[1].DataText));
        Assert.Equal(("ping", "{\"type\":\"ping\"}"), (events[2].EventName, events[2].DataText));
        Assert.Equal((null, "no-space"), (events[3].EventName, events[3].DataText));
        Assert.Equal("[DONE]", events[4].DataText);
    }

    [Theory]
    [InlineData("data: a\r\rdata: b\r\r", 1)]
    [InlineData("data: a\r\rdata: b\r\r", 0)]
    [InlineData("data: a\r\n\r\ndata: b\r\n\r\n", 1)]
    [InlineData("data: a\n\ndata: b\n\n", 1)]
    public void Cr_lf_and_crlf_line_endings_are_all_understood(string text, int chunkSize)
    {
        var events = TranslationHarness.ParseSse(text, chunkSize);
        Assert.Equal(["a", "b"], events.Select(e => e.DataText));
    }

    [Fact]
    public void Event_name_does_not_leak_into_the_next_event()
    {
        var events = TranslationHarness.ParseSse("event: error\ndata: x\n\ndata: y\n\n", 1);
        Assert.Equal("error", events[0].EventName);
        Assert.Null(events[1].EventName);
    }

    [Fact]
    public void An_event_without_data_is_not_dispatched()
    {
        var events = TranslationHarness.ParseSse("event: nothing\n\n: comment\n\ndata: z\n\n", 1);
        Assert.Single(events);
    }

    [Fact]
    public void An_unterminated_last_event_is_dispatched_on_complete()
    {
        var events = TranslationHarness.ParseSse("data: {\"last\":true}", 4);
        Assert.Equal("{\"last\":true}", Assert.Single(events).DataText);
    }

    [Fact]
    public void Multibyte_utf8_split_across_chunks_is_reassembled()
    {
        var events = TranslationHarness.ParseSse("data: héllo ✓ 🎉\n\n", 1);
        Assert.Equal("héllo ✓ 🎉", Assert.Single(events).DataText);
    }

    [Fact]
    public void Long_lines_grow_the_buffer()
    {
        var big = new string('x', 100_000);
        var events = TranslationHarness.ParseSse($"data: {big}\n\n", 777);
        Assert.Equal(big, Assert.Single(events).DataText);
    }

    private sealed class Counter
    {
        public int Events;
        public int Bytes;
    }

    [Fact]
    public void Steady_state_parsing_allocates_nothing_per_event()
    {
        var chunk = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"delta\":{\"text\":\"hello\"}}\n\n", 50)));
        using var parser = new SseParser();
        var counter = new Counter();
        SseEventHandler<Counter> handler = static (c, name, data) => { c.Events++; c.Bytes += data.Length + (name?.Length ?? 0); };
        // Warm up (buffers, the cached event name), then measure split and whole feeds.
        parser.Feed(chunk, counter, handler);
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            parser.Feed(chunk.AsSpan(0, 37), counter, handler);
            parser.Feed(chunk.AsSpan(37), counter, handler);
        }
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(50 * 101, counter.Events);
        Assert.True(allocated < 1024, $"allocated {allocated} bytes for {100 * 50} events");
    }

    [Fact]
    public void Writer_frames_named_and_unnamed_events()
    {
        var output = new ArrayBufferWriter<byte>();
        var json = SseWriter.Begin(output, "message_stop");
        json.WriteStartObject();
        json.WriteString("type", "message_stop");
        json.WriteString("text", "line\nbreak ✓");
        json.WriteEndObject();
        SseWriter.End(json, output);
        SseWriter.WriteJson(output, null, new JsonObject { ["a"] = 1 });
        SseWriter.WriteRaw(output, null, "[DONE]"u8);

        Assert.Equal(
            "event: message_stop\ndata: {\"type\":\"message_stop\",\"text\":\"line\\nbreak ✓\"}\n\ndata: {\"a\":1}\n\ndata: [DONE]\n\n",
            Encoding.UTF8.GetString(output.WrittenSpan));
    }
}
