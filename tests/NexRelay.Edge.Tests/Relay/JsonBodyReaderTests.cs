using System.Text;
using Microsoft.AspNetCore.Http;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Relay;

namespace NexRelay.Edge.Tests.Relay;

/// <summary>The relay's body reader: parsed in place from the request pipe however the body arrives, strict JSON, bounded size.</summary>
public sealed class JsonBodyReaderTests
{
    private const long Limit = 20 * 1024 * 1024;

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public async Task A_json_object_arriving_in_pieces_is_read_whole(int piece)
    {
        var (body, error) = await ReadAsync("""{"model":"gpt-5.4","messages":[{"role":"user","content":"héllo"}]}""", piece);
        Assert.Null(error);
        Assert.Equal("gpt-5.4", body!["model"]!.GetValue<string>());
        Assert.Equal("héllo", body["messages"]![0]!["content"]!.GetValue<string>());
    }

    [Theory]
    [InlineData(16 * 1024, 1024)]
    [InlineData(300 * 1024, 8 * 1024)]
    [InlineData(3 * 1024 * 1024, 64 * 1024)]
    public async Task Bodies_of_any_size_parse_whole(int size, int piece)
    {
        var text = new string('x', size);
        var (body, error) = await ReadAsync($$"""{"model":"m","text":"{{text}}"}""", piece);
        Assert.Null(error);
        Assert.Equal(size, body!["text"]!.GetValue<string>().Length);
    }

    [Theory]
    [InlineData("""{"model":"m"} x""")]
    [InlineData("""{"model":"m"}{"model":"n"}""")]
    [InlineData("""{"model":"m""")]
    [InlineData("{not json")]
    [InlineData("   ")]
    public async Task Anything_but_one_json_value_is_invalid_json(string json)
    {
        var (body, error) = await ReadAsync(json, 3);
        Assert.Null(body);
        Assert.Equal(("invalid_json", 400), (error!.Code, error.Status));
    }

    [Theory]
    [InlineData("""{"model":"a","model":"b"}""")]
    [InlineData("""{"model":"m","messages":[{"role":"user","content":"x","role":"system"}]}""")]
    [InlineData("""{"model":"m","generationConfig":{"maxOutputTokens":1,"x":{"a":1,"a":1}}}""")]
    public async Task A_key_given_twice_in_any_object_is_invalid_json(string json)
    {
        var (body, error) = await ReadAsync(json, 4);
        Assert.Null(body);
        Assert.Equal(("invalid_json", 400), (error!.Code, error.Status));
        Assert.Contains("same key twice", error.Message);
    }

    [Fact]
    public async Task A_key_that_is_not_utf8_is_invalid_json()
    {
        byte[] json = [.. Encoding.UTF8.GetBytes("{\"mo"), 0xFF, .. Encoding.UTF8.GetBytes("del\":\"m\",\"x\":{\"a"), 0xC0, 0xAF, .. Encoding.UTF8.GetBytes("\":1}}")];
        var (body, error) = await ReadAsync(json, 5);
        Assert.Null(body);
        Assert.Equal(("invalid_json", 400), (error!.Code, error.Status));
    }

    [Theory]
    [InlineData(1_000)]
    [InlineData(100_000)]
    public async Task Deep_nesting_is_invalid_json_not_a_stack_overflow(int depth)
    {
        var (body, error) = await ReadAsync("{\"x\":" + new string('[', depth) + new string(']', depth) + "}", 4096);
        Assert.Null(body);
        Assert.Equal(("invalid_json", 400), (error!.Code, error.Status));
    }

    [Fact]
    public async Task Trailing_whitespace_is_allowed()
    {
        var (body, error) = await ReadAsync("{\"model\":\"m\"}  \r\n\t", 5);
        Assert.Null(error);
        Assert.Equal("m", body!["model"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("", "empty")]
    [InlineData("[1,2]", "must be a JSON object")]
    [InlineData("\"text\"", "must be a JSON object")]
    public async Task An_empty_body_or_a_value_that_is_no_object_is_a_bad_request(string json, string message)
    {
        var (body, error) = await ReadAsync(json, 4);
        Assert.Null(body);
        Assert.Equal(400, error!.Status);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(5_000, 1_000, 512)]
    [InlineData(200 * 1024, 100 * 1024, 8192)]
    public async Task A_body_without_a_length_is_refused_once_it_passes_the_limit(int size, long limit, int piece)
    {
        var (body, error) = await ReadAsync($$"""{"text":"{{new string('a', size)}}"}""", piece, limit);
        Assert.Null(body);
        Assert.Equal(("request_too_large", 413), (error!.Code, error.Status));
    }

    [Fact]
    public async Task A_declared_length_over_the_limit_is_refused_before_reading()
    {
        var stream = new PiecewiseStream(Encoding.UTF8.GetBytes("{}"), 1);
        var context = new DefaultHttpContext();
        context.Request.Body = stream;
        context.Request.ContentLength = 10_000;
        var (body, error) = await JsonBodyReader.ReadAsync(context.Request, 1_000, CancellationToken.None);
        Assert.Null(body);
        Assert.Equal(ErrorKind.TooLarge, error!.Kind);
        Assert.Equal(0, stream.Reads);
    }

    private static Task<(System.Text.Json.Nodes.JsonObject? Body, EdgeError? Error)> ReadAsync(string json, int piece, long limit = Limit) =>
        ReadAsync(Encoding.UTF8.GetBytes(json), piece, limit);

    private static Task<(System.Text.Json.Nodes.JsonObject? Body, EdgeError? Error)> ReadAsync(byte[] json, int piece, long limit = Limit)
    {
        var context = new DefaultHttpContext();
        context.Request.Body = new PiecewiseStream(json, piece);
        return JsonBodyReader.ReadAsync(context.Request, limit, CancellationToken.None);
    }

    /// <summary>A request body that hands out at most <c>piece</c> bytes per read, as a slow client's packets arrive.</summary>
    private sealed class PiecewiseStream(byte[] data, int piece) : Stream
    {
        private int _position;
        public int Reads { get; private set; }
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => data.Length;
        public override long Position { get => _position; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            Reads++;
            var n = Math.Min(Math.Min(piece, buffer.Length), data.Length - _position);
            data.AsSpan(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield();
            return Read(buffer.Span);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
