using System.Security.Cryptography;

namespace NexRelay.Edge.Relay;

/// <summary>Request ids: <c>req_</c> + 24 base62 characters (~143 random bits), sortable enough for humans, unique for machines.</summary>
internal static class RequestIds
{
    private const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string New() => "req_" + RandomNumberGenerator.GetString(Alphabet, 24);
}
