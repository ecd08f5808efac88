namespace NexRelay.Chaos.Tests;

/// <summary>The error envelope an answer must come in: the wire format of the API the path belongs to.</summary>
public enum Envelope { OpenAI, Anthropic, Gemini }

/// <summary>How a case presents its key: the hostile part is usually the input, not the authentication.</summary>
public enum HostileAuth { Valid, Missing, Malformed, Unknown, WrongScheme }

/// <summary>One hostile request. <see cref="Body"/> null: no body at all.</summary>
public sealed record HostileCase(int Id, string Family, HttpMethod Method, string Path, Envelope Envelope, byte[]? Body)
{
    public string? ContentType { get; init; } = "application/json";
    public HostileAuth Auth { get; init; } = HostileAuth.Valid;
    public bool Chunked { get; init; }
    public IReadOnlyList<(string Name, string Value)> Headers { get; init; } = [];
    /// <summary>A query the logging service must answer without failing: an empty page (200) is as right as a 400.</summary>
    public bool MayAnswer { get; init; }
    /// <summary>
    /// Kestrel may refuse before it has read the whole request (431 for 1 MB of headers) and close the connection: the
    /// client, still writing, can see the reset instead of the refusal. That is a refusal, not a lost answer; a timeout is not.
    /// </summary>
    public bool ResetIsRefusal { get; init; }

    public override string ToString() => $"#{Id} {Family}: {Method} {(Path.Length > 120 ? Path[..120] + "…" : Path)}";
}
