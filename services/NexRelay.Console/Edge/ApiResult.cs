using System.Net;

namespace NexRelay.Console.Edge;

/// <summary>
/// An edge answer: the value, or what the API said was wrong (its message, and per field where it named fields) so a form
/// can show the API's own words beside the field. The console never invents a rule the API does not enforce.
/// </summary>
public sealed record ApiResult<T>(T? Value, HttpStatusCode Status, string? Message, IReadOnlyDictionary<string, string[]> FieldErrors)
{
    public bool Ok => Value is not null && (int)Status is >= 200 and < 300;

    public static ApiResult<T> Success(T value, HttpStatusCode status) => new(value, status, null, Empty);

    public static ApiResult<T> Failure(HttpStatusCode status, string message, IReadOnlyDictionary<string, string[]>? fields = null) =>
        new(default, status, message, fields ?? Empty);

    public string? ErrorFor(string field) => FieldErrors.TryGetValue(field, out var messages) ? string.Join(" ", messages) : null;

    private static readonly IReadOnlyDictionary<string, string[]> Empty = new Dictionary<string, string[]>();
}
