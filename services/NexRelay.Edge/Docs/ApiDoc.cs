namespace NexRelay.Edge.Docs;

/// <summary>Which error envelope a route answers in (the caller's own wire format; ProblemDetails for admin).</summary>
/// <summary>The error envelope a route answers in; <see cref="AnyVendor"/>: OpenAI's, Anthropic's or Gemini's by the caller's credentials.</summary>
internal enum ErrorEnvelope { OpenAI, Anthropic, Gemini, AnyVendor, Problem }

/// <param name="Example">Sent by the Postman request and the llms-full.txt curl line (the parameter's OpenAPI example).</param>
internal sealed record DocQuery(string Name, string Description, string Type = "string", IReadOnlyList<string>? Enum = null,
    bool Required = false, string? Example = null);

/// <summary>
/// Endpoint metadata: what the reference says about one operation beyond what routing already knows (path, method, path
/// parameters, tags). The OpenAPI transformers (<see cref="ApiDocTransformers"/>) read it; nothing on the request path does.
/// </summary>
/// <param name="OperationId">The published operationId (the route's endpoint name is an internal handle and may differ).</param>
/// <param name="Request">Component schema of the JSON request body (an embedded <c>Docs/Schemas/{name}.json</c>), if any.</param>
/// <param name="Response">Component schema of the JSON success body.</param>
internal sealed record ApiDoc(string OperationId, string Summary, string Description, string? Request, string Response)
{
    public ErrorEnvelope Errors { get; init; } = ErrorEnvelope.OpenAI;

    public IReadOnlyList<int> ErrorStatuses { get; init; } = [401];

    public int SuccessStatus { get; init; } = 200;

    /// <summary>Also answers <c>text/event-stream</c>, described thus (with <c>"stream": true</c>, or <c>alt=sse</c> for Gemini).</summary>
    public string? Stream { get; init; }

    /// <summary>Answers server-sent events only (no JSON body), as Google's streamGenerateContent does.</summary>
    public bool StreamOnly { get; init; }

    /// <summary>Also answers <c>text/csv</c> when asked with <c>Accept: text/csv</c>.</summary>
    public bool Csv { get; init; }

    /// <summary>A relayed request: the answer carries the request id, cost, output-cap and rate-limit headers.</summary>
    public bool Relayed { get; init; }

    /// <summary>
    /// Statuses the example request may get from a gateway as <c>./run.sh</c> starts it, when success is not the only one (the
    /// example's code does not exist there; card payments are not configured). The Postman collection accepts these.
    /// </summary>
    public IReadOnlyList<int> ExampleStatuses { get; init; } = [200];

    /// <summary>The reference's example request body (also the Postman request).</summary>
    public string? Example { get; init; }

    public IReadOnlyList<DocQuery> Query { get; init; } = [];

    /// <summary>Route parameters published under another name (<c>requestId</c> → <c>request_id</c>).</summary>
    public IReadOnlyDictionary<string, string> PathNames { get; init; } = new Dictionary<string, string>();

    public bool IsGemini => Errors is ErrorEnvelope.Gemini or ErrorEnvelope.AnyVendor;

    /// <summary>The same operation published again under another prefix (<c>/v1</c> beside <c>/api/v1</c>): its id gets a suffix.</summary>
    public ApiDoc WithIdSuffix(string suffix) => suffix.Length == 0 ? this : this with { OperationId = OperationId + suffix };
}

/// <summary>One operation of another service that the edge forwards as it is (the admin API), under the forwarding route.</summary>
internal sealed record ForwardedOperation(string Method, string Path, ApiDoc Doc);

/// <summary>Endpoint metadata of a forwarding route: the operations it forwards, published in the admin document.</summary>
internal sealed record ForwardedApiDocs(string Area, IReadOnlyList<ForwardedOperation> Operations);

internal static class ApiDocConventions
{
    /// <summary>Publishes the route in <c>/openapi.json</c> as <paramref name="doc"/> (its id suffixed for a second prefix).</summary>
    public static TBuilder WithApiDoc<TBuilder>(this TBuilder builder, ApiDoc doc, string idSuffix = "") where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(doc.WithIdSuffix(idSuffix));

    /// <summary>Publishes the operations a forwarding route passes on in the admin document.</summary>
    public static TBuilder WithForwardedApiDocs<TBuilder>(this TBuilder builder, params ForwardedApiDocs[] areas) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata([.. areas]);
}
