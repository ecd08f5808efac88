namespace NexRelay.SimulatedProvider.Simulation;

/// <summary>Response and call ids in the providers' styles (prefix + random base62).</summary>
internal static class Ids
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string New(string prefix, int length = 24) =>
        string.Create(prefix.Length + length, prefix, static (span, prefix) =>
        {
            prefix.AsSpan().CopyTo(span);
            for (var i = prefix.Length; i < span.Length; i++) span[i] = Alphabet[Random.Shared.Next(Alphabet.Length)];
        });

    public static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();
}
