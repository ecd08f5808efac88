using System.ComponentModel.DataAnnotations;

namespace NexRelay.Edge.Docs;

/// <summary>
/// <c>NexRelay:PublicBaseUrl</c>: the absolute URL customers reach the edge at (e.g. https://api.example.com). Every absolute
/// URL in the published assets uses it; unset, each asset uses the scheme and host of the request that fetched it.
/// </summary>
public sealed class DocsOptions : IValidatableObject
{
    public string? PublicBaseUrl { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!string.IsNullOrWhiteSpace(PublicBaseUrl)
            && (!Uri.TryCreate(PublicBaseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0))
        {
            yield return new ValidationResult("NexRelay:PublicBaseUrl must be an absolute http(s) URL without a query, e.g. https://api.example.com.",
                [nameof(PublicBaseUrl)]);
        }
    }
}
