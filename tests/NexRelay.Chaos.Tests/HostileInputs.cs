using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;

namespace NexRelay.Chaos.Tests;

/// <summary>
/// Issue 17, scenario 14: a deterministic (seeded) set of hostile requests across every public route. Each case is invalid by
/// construction — a body that is not JSON, a field of the wrong type, a size past a limit, a route or method that does not
/// exist — so the only right answer is a 4xx in the caller's format, before any hold or upstream call.
/// </summary>
public static partial class HostileInputs
{
    private sealed record Surface(string Name, string Path, Envelope Envelope, Func<string, JsonObject> Body, string[] MaxTokens);

    private static readonly Surface[] Surfaces =
    [
        new("openai-chat", "/api/v1/chat/completions", Envelope.OpenAI,
            p => new() { ["model"] = "gpt-5.4", ["max_tokens"] = 16, ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = p }) },
            ["max_tokens", "max_completion_tokens"]),
        new("openai-responses", "/api/v1/responses", Envelope.OpenAI,
            p => new() { ["model"] = "gpt-5.4", ["max_output_tokens"] = 16, ["input"] = p }, ["max_output_tokens"]),
        new("anthropic", "/v1/messages", Envelope.Anthropic, AnthropicBody, ["max_tokens"]),
        new("anthropic-api", "/api/v1/messages", Envelope.Anthropic, AnthropicBody, ["max_tokens"]),
        new("anthropic-count", "/v1/messages/count_tokens", Envelope.Anthropic, AnthropicBody, ["max_tokens"]),
        new("gemini", "/v1beta/models/gemini-2.5-flash:generateContent", Envelope.Gemini, GeminiBody, ["generationConfig", "maxOutputTokens"]),
        new("gemini-stream", "/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", Envelope.Gemini, GeminiBody, ["generationConfig", "maxOutputTokens"]),
        new("gemini-count", "/v1beta/models/gemini-2.5-flash:countTokens", Envelope.Gemini, GeminiBody, ["generationConfig", "maxOutputTokens"]),
    ];

    private static JsonObject AnthropicBody(string prompt) =>
        new() { ["model"] = "claude-sonnet-4-6", ["max_tokens"] = 16, ["messages"] = new JsonArray(new JsonObject { ["role"] = "user", ["content"] = prompt }) };

    private static JsonObject GeminiBody(string prompt) => new()
    {
        ["contents"] = new JsonArray(new JsonObject { ["role"] = "user", ["parts"] = new JsonArray(new JsonObject { ["text"] = prompt }) }),
        ["generationConfig"] = new JsonObject { ["maxOutputTokens"] = 16 },
    };

    public static IReadOnlyList<HostileCase> Generate(int seed, int count, string tag, long bodyLimit)
    {
        var random = new Random(seed);
        var prompt = $"Say hi. [sim:tag={tag}]";
        var cases = new List<HostileCase>(count);
        void Add(Func<int, HostileCase> make) => cases.Add(make(cases.Count));

        // Expensive families, a fixed few: each oversized body is over 20 MB on the wire.
        for (var i = 0; i < 8; i++) Add(id => Oversized(id, Surfaces[i % Surfaces.Length], bodyLimit, prompt, chunked: i >= 5));
        for (var i = 0; i < 24; i++) Add(id => HugeHeader(id, Surfaces[i % Surfaces.Length], prompt, i));

        var families = new (int Weight, Func<int, HostileCase> Make)[]
        {
            (30, id => WrongType(id, Pick(random, Surfaces), random, prompt)),
            (10, id => BadLimit(id, Pick(random, Surfaces), random, prompt)),
            (6, id => BadModel(id, Pick(random, Surfaces), random, prompt)),
            (8, id => BrokenSyntax(id, Pick(random, Surfaces), random, prompt)),
            (3, id => DeepNesting(id, Pick(random, Surfaces), random, prompt)),
            (6, id => InvalidUtf8(id, Pick(random, Surfaces), random, prompt)),
            (4, id => ControlCharacters(id, Pick(random, Surfaces), random, prompt)),
            (3, id => LoneSurrogates(id, Pick(random, Surfaces), random, prompt)),
            (5, id => DuplicateKeys(id, Pick(random, Surfaces), random, prompt)),
            (4, id => WrongContentType(id, Pick(random, Surfaces), random, prompt)),
            (6, id => UnknownRoute(id, random)),
            (6, id => WrongMethod(id, random, prompt)),
            (6, id => BadAuth(id, Pick(random, Surfaces), random, prompt)),
            (3, id => SelfServiceQuery(id, random)),
        };
        var total = families.Sum(f => f.Weight);
        while (cases.Count < count)
        {
            var roll = random.Next(total);
            foreach (var (weight, make) in families)
            {
                if ((roll -= weight) >= 0) continue;
                Add(make);
                break;
            }
        }
        return cases;
    }

    private static T Pick<T>(Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    private static HostileCase Post(int id, string family, Surface s, byte[]? body) => new(id, family, HttpMethod.Post, s.Path, s.Envelope, body);

    private static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    /// <summary>The surface's valid body with one value replaced by raw JSON text (which may be any bytes: 1e400, a NUL escape…).</summary>
    private static byte[] WithRaw(Surface s, string prompt, string[] path, string raw)
    {
        var body = s.Body(prompt);
        JsonObject parent = body;
        for (var i = 0; i < path.Length - 1; i++) parent = parent[path[i]] as JsonObject ?? (JsonObject)(parent[path[i]] = new JsonObject());
        parent[path[^1]] = "__RAW__";
        return Utf8(body.ToJsonString().Replace("\"__RAW__\"", raw, StringComparison.Ordinal));
    }

    private static HostileCase Oversized(int id, Surface s, long limit, string prompt, bool chunked)
    {
        var valid = s.Body(prompt).ToJsonString();
        var pad = new string('a', (int)(limit - valid.Length) + 1 + id * 1024);
        var body = Utf8(valid[..^1] + ",\"pad\":\"" + pad + "\"}");
        return Post(id, chunked ? "oversized body, chunked" : "oversized body", s, body) with { Chunked = chunked };
    }

    /// <summary>1 MB of headers: one huge header, or a huge key, or thousands of small ones.</summary>
    private static HostileCase HugeHeader(int id, Surface s, string prompt, int variant)
    {
        var body = Utf8(s.Body(prompt).ToJsonString());
        IReadOnlyList<(string, string)> headers = (variant % 3) switch
        {
            0 => [("x-pad", new string('h', 1024 * 1024))],
            1 => [("x-api-key", "nrk_" + new string('k', 1024 * 1024))],
            _ => [.. Enumerable.Range(0, 4096).Select(i => ($"x-pad-{i}", new string('h', 240)))],
        };
        return Post(id, "1 MB of headers", s, body) with
        {
            Headers = headers, Auth = variant % 3 == 1 ? HostileAuth.Missing : HostileAuth.Valid, ResetIsRefusal = true,
        };
    }

    private static HostileCase WrongType(int id, Surface s, Random random, string prompt)
    {
        var (path, raw) = Pick(random, s.Name == "openai-responses" ? ResponsesWrongTypes : WrongTypes[s.Envelope]);
        return Post(id, "wrong type or value", s, WithRaw(s, prompt, path, raw));
    }

    private static HostileCase BadLimit(int id, Surface s, Random random, string prompt)
    {
        var field = s.MaxTokens.Length == 2 && s.Envelope == Envelope.OpenAI ? [Pick(random, s.MaxTokens)] : s.MaxTokens;
        return Post(id, "huge, negative, fractional or non-numeric output limit", s, WithRaw(s, prompt, field, Pick(random, BadLimits)));
    }

    private static HostileCase BadModel(int id, Surface s, Random random, string prompt)
    {
        var model = Pick(random, HostileModels);
        if (s.Envelope != Envelope.Gemini)
            return Post(id, "unknown or hostile model", s, WithRaw(s, prompt, ["model"], JsonValue.Create(model).ToJsonString()));
        // Gemini names the model in the path.
        var method = s.Path[(s.Path.IndexOf(':', StringComparison.Ordinal) + 1)..];
        var name = model.Length > 200 ? model[..6000] : model;
        return new HostileCase(id, "unknown or hostile model", HttpMethod.Post, "/v1beta/models/" + Uri.EscapeDataString(name) + ":" + method, s.Envelope,
            Utf8(s.Body(prompt).ToJsonString()));
    }

    private static HostileCase BrokenSyntax(int id, Surface s, Random random, string prompt)
    {
        var valid = s.Body(prompt).ToJsonString();
        string[] bodies =
        [
            "", " \r\n\t ", valid[..random.Next(1, valid.Length - 1)], valid + "x", valid + valid, valid + "{}", "[]", "\"just a string\"", "42", "null",
            "true", "[" + valid + "]", "{", "}", "{\"model\":}", "{'model':'gpt-5.4'}", "{model:\"gpt-5.4\"}", valid.Replace(":", "=", StringComparison.Ordinal),
            valid.Replace(",", ",,", StringComparison.Ordinal), valid.Insert(valid.Length - 1, ","), "/* comment */" + valid, "\uFEFF\uFEFF" + valid,
            "NaN", "{\"model\":NaN}", "<xml/>",
        ];
        return Post(id, "not JSON, not an object, truncated or trailing bytes", s, Utf8(Pick(random, bodies)));
    }

    private static HostileCase DeepNesting(int id, Surface s, Random random, string prompt)
    {
        var depth = Pick(random, new[] { 65, 1_000, 10_000, 100_000 });
        var value = random.Next(2) == 0 ? new string('[', depth) + new string(']', depth) : string.Concat(Enumerable.Repeat("{\"a\":", depth)) + "1" + new string('}', depth);
        string[] field = random.Next(3) switch { 0 => ["metadata"], 1 => s.Envelope == Envelope.Gemini ? ["contents"] : s.Name == "openai-responses" ? ["input"] : ["messages"], _ => ["x"] };
        var body = random.Next(4) == 0 ? Utf8(value) : WithRaw(s, prompt, field, value);
        return Post(id, "deep nesting", s, body);
    }

    private static HostileCase InvalidUtf8(int id, Surface s, Random random, string prompt)
    {
        byte[][] invalid = [[0xFF], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF8, 0x88, 0x80, 0x80, 0x80], [0x80], [0xE2, 0x82], [0xFE, 0xFF], [0xC3, 0x28]];
        var valid = Utf8(s.Body(prompt).ToJsonString());
        var marker = Utf8("Say hi.");
        var at = valid.AsSpan().IndexOf(marker);
        var position = at >= 0 && random.Next(4) != 0 ? at + random.Next(marker.Length) : random.Next(1, valid.Length);
        var bad = Pick(random, invalid);
        return Post(id, "invalid UTF-8", s, [.. valid[..position], .. bad, .. valid[position..]]);
    }

    /// <summary>Raw control bytes inside JSON strings (invalid JSON), and escaped NULs where a NUL makes a value invalid.</summary>
    private static HostileCase ControlCharacters(int id, Surface s, Random random, string prompt)
    {
        var valid = s.Body(prompt).ToJsonString();
        var raw = (char)Pick(random, new[] { 0x00, 0x01, 0x08, 0x1B, 0x1F });
        var body = random.Next(3) switch
        {
            0 => valid.Replace("Say hi.", "Say" + raw + "hi.", StringComparison.Ordinal),
            1 => valid.Replace("{", "{" + raw, StringComparison.Ordinal),
            _ => s.Envelope == Envelope.Gemini
                ? valid.Replace("\"user\"", "\"us\\u0000er\"", StringComparison.Ordinal)
                : valid.Replace("\"model\":\"", "\"model\":\"\\u0000", StringComparison.Ordinal),
        };
        return Post(id, "NUL and control characters", s, Utf8(body));
    }

    /// <summary>
    /// Escaped UTF-16 surrogates without their pair (<c>\ud800</c>): valid JSON syntax, but no Unicode text (RFC 8259 §8.2),
    /// so no upstream could read the same string the edge counted.
    /// </summary>
    private static HostileCase LoneSurrogates(int id, Surface s, Random random, string prompt)
    {
        var lone = Pick(random, new[] { "\\ud800", "\\udfff", "\\udc00\\ud800", "x\\ud83d" });
        var valid = s.Body(prompt).ToJsonString();
        var body = random.Next(3) switch
        {
            0 when s.Envelope != Envelope.Gemini => valid.Replace("\"model\":\"", "\"model\":\"" + lone, StringComparison.Ordinal),
            1 => valid.Replace("\"user\"", "\"user" + lone + "\"", StringComparison.Ordinal),
            _ => valid,
        };
        if (body == valid) body = valid.Replace("Say hi.", "Say " + lone + " hi.", StringComparison.Ordinal);
        return Post(id, "unpaired surrogates", s, Utf8(body));
    }

    /// <summary>A key given twice: a parser that keeps the first and one that keeps the last would read different requests.</summary>
    private static HostileCase DuplicateKeys(int id, Surface s, Random random, string prompt)
    {
        var body = s.Body(prompt);
        var valid = body.ToJsonString();
        if (random.Next(4) == 0)
        {
            // Inside the first message (or content): its role given twice.
            var nested = valid.Replace("{\"role\":\"user\",", "{\"role\":\"user\",\"role\":\"assistant\",", StringComparison.Ordinal);
            if (nested != valid) return Post(id, "duplicate keys", s, Utf8(nested));
        }
        var key = Pick(random, body.Select(p => p.Key).ToArray());
        var value = key switch
        {
            "model" => s.Envelope == Envelope.Anthropic ? "\"claude-sonnet-4-6\"" : "\"gpt-5.5\"",
            "max_tokens" or "max_output_tokens" => "100000",
            "messages" => "[{\"role\":\"user\",\"content\":\"other\"}]",
            "input" => "\"other\"",
            "contents" => "[{\"role\":\"user\",\"parts\":[{\"text\":\"other\"}]}]",
            _ => "{\"maxOutputTokens\":65536}",
        };
        var twice = random.Next(2) == 0 ? "{\"" + key + "\":" + value + "," + valid[1..] : valid[..^1] + ",\"" + key + "\":" + value + "}";
        return Post(id, "duplicate keys", s, Utf8(twice));
    }

    private static HostileCase WrongContentType(int id, Surface s, Random random, string prompt)
    {
        var (contentType, body, encoding) = random.Next(6) switch
        {
            0 => ("text/plain", Utf8("model=gpt-5.4&max_tokens=16&prompt=hi"), null),
            1 => ("application/x-www-form-urlencoded", Utf8("model=gpt-5.4&messages=hi"), null),
            2 => ("multipart/form-data; boundary=xyz", Utf8("--xyz\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngpt-5.4\r\n--xyz--"), null),
            3 => ("application/xml", Utf8("<request><model>gpt-5.4</model></request>"), null),
            4 => ((string?)null, Utf8("hello"), null),
            _ => ("application/json", Gzip(Utf8(s.Body(prompt).ToJsonString())), "gzip"),
        };
        return Post(id, "non-JSON content type or encoding", s, body) with
        {
            ContentType = contentType,
            Headers = encoding is null ? [] : [("Content-Encoding", encoding)],
        };
    }

    private static byte[] Gzip(byte[] data)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest)) gzip.Write(data);
        return output.ToArray();
    }

    private static HostileCase UnknownRoute(int id, Random random)
    {
        var path = random.Next(4) == 0 ? "/" + string.Join('/', Enumerable.Range(0, random.Next(1, 5)).Select(_ => RandomSegment(random))) : Pick(random, UnknownPaths);
        var method = Pick(random, new[] { HttpMethod.Get, HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete });
        return new HostileCase(id, "unknown route", method, path, EnvelopeOf(path), method == HttpMethod.Post || method == HttpMethod.Put ? Utf8("{}") : null);
    }

    private static string RandomSegment(Random random)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789-_.~:";
        var chars = new char[random.Next(1, 12)];
        for (var i = 0; i < chars.Length; i++) chars[i] = alphabet[random.Next(alphabet.Length)];
        var segment = new string(chars).Trim('.');
        return segment.Length == 0 ? "x" : segment;
    }

    /// <summary>The envelope NexRelay answers an unknown path in: Gemini under /v1beta, Anthropic for messages, else OpenAI.</summary>
    public static Envelope EnvelopeOf(string path) =>
        path.StartsWith("/v1beta", StringComparison.Ordinal) || path.Contains(':', StringComparison.Ordinal) ? Envelope.Gemini
        : path.StartsWith("/v1/messages", StringComparison.Ordinal) || path.StartsWith("/api/v1/messages", StringComparison.Ordinal) ? Envelope.Anthropic
        : Envelope.OpenAI;

    private static HostileCase WrongMethod(int id, Random random, string prompt)
    {
        if (random.Next(3) == 0)
        {
            var get = Pick(random, GetRoutes);
            var method = Pick(random, new[] { HttpMethod.Post, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch });
            return new HostileCase(id, "wrong method", method, get, EnvelopeOf(get), method == HttpMethod.Delete ? null : Utf8("{}"));
        }
        var s = Pick(random, Surfaces);
        var wrong = Pick(random, new[] { HttpMethod.Get, HttpMethod.Put, HttpMethod.Delete, HttpMethod.Patch, HttpMethod.Options });
        var body = wrong == HttpMethod.Get || wrong == HttpMethod.Options ? null : Utf8(s.Body(prompt).ToJsonString());
        // GET on a Gemini generate route reads as "get the model named 'x:generateContent'": a 404 too.
        return new HostileCase(id, "wrong method", wrong, s.Path, s.Envelope, body);
    }

    private static HostileCase BadAuth(int id, Surface s, Random random, string prompt)
    {
        var auth = Pick(random, new[] { HostileAuth.Missing, HostileAuth.Malformed, HostileAuth.Unknown, HostileAuth.WrongScheme });
        var body = Utf8(s.Body(prompt).ToJsonString());
        if (random.Next(5) != 0) return Post(id, "bad key", s, body) with { Auth = auth };
        var path = Pick(random, GetRoutes);
        return new HostileCase(id, "bad key", HttpMethod.Get, path, EnvelopeOf(path), null) { Auth = auth };
    }

    /// <summary>Self-service log queries forwarded to the logging service: bad filters are a 400, a NUL in one is no 500.</summary>
    private static HostileCase SelfServiceQuery(int id, Random random)
    {
        var cursorWithNul = Convert.ToBase64String(Utf8("1700000000000000:req\0x")).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        (string Query, bool MayAnswer)[] queries =
        [
            ("/api/v1/logs?model=%00", true), ("/api/v1/logs?model=gpt%00x", true), ($"/api/v1/logs?cursor={cursorWithNul}", true),
            ("/api/v1/usage?model=%00", true), ("/api/v1/logs?status=abc", false), ("/api/v1/logs?from=yesterday", false),
            ("/api/v1/logs?limit=-1", false), ("/api/v1/logs?limit=99999999999", false), ("/api/v1/usage?group_by=x", false),
            ("/api/v1/logs?cursor=!!!", false), ("/api/v1/logs?from=2026-01-02&to=2026-01-01", false),
            ($"/api/v1/logs?model={new string('m', 300)}", false), ("/api/v1/logs/req_does_not_exist", false),
        ];
        var (query, mayAnswer) = Pick(random, queries);
        return new HostileCase(id, "self-service log filters", HttpMethod.Get, query, Envelope.OpenAI, null) { MayAnswer = mayAnswer };
    }
}
