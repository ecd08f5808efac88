using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc.ApiExplorer;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace NexRelay.Edge.Docs;

/// <summary>
/// Turns what <c>Microsoft.AspNetCore.OpenApi</c> generates from the mapped endpoints (paths, methods, tags) into the
/// published reference, from each route's <see cref="ApiDoc"/> metadata: the operation transformer describes an ordinary
/// route; the document transformer publishes the Google custom methods a route serves, renamed path parameters, the
/// forwarded admin operations, and the document's info, security schemes, tags and shared headers.
/// </summary>
internal static partial class ApiDocTransformers
{
    public const string PublicDocument = "public";
    public const string AdminDocument = "admin";

    public const string Summary =
        "NexRelay is an AI gateway: one NexRelay key and prepaid wallet for OpenAI-, Anthropic- and Gemini-compatible APIs over every catalog model, with per-key policy, budgets, rate limits and request logs.";

    public static void Configure(OpenApiOptions options, bool admin)
    {
        options.OpenApiVersion = OpenApiSpecVersion.OpenApi3_1;
        // The admin API is other services' routes, published from the forwarding route's metadata (document transformer).
        options.ShouldInclude = description => !admin && description.GroupName is null;
        options.AddOperationTransformer((operation, context, _) =>
        {
            var docs = DocsOf(context.Description);
            if (docs is [var doc]) Describe(operation, doc, PublishedPath(context.Description, doc), TagOf(context.Description), context.Document, admin);
            return Task.CompletedTask;
        });
        options.AddDocumentTransformer((document, context, _) =>
        {
            if (admin) AddForwarded(document, context.ApplicationServices.GetRequiredService<EndpointDataSource>());
            else PublishRoutes(document, context.DescriptionGroups.SelectMany(g => g.Items));
            DescribeDocument(document, admin);
            return Task.CompletedTask;
        });
    }

    private static List<ApiDoc> DocsOf(ApiDescription description) => [.. description.ActionDescriptor.EndpointMetadata.OfType<ApiDoc>()];

    /// <summary>An operation is filed under its route's first tag (<c>/v1/models</c> is tagged OpenAI and Gemini, and listed under OpenAI).</summary>
    private static string TagOf(ApiDescription description) =>
        description.ActionDescriptor.EndpointMetadata.OfType<ITagsMetadata>().SelectMany(t => t.Tags).FirstOrDefault() ?? "NexRelay";

    /// <summary>The generator's path for a route (its template without constraints), as the document keys it.</summary>
    private static string GeneratedPath(ApiDescription description) =>
        "/" + RouteParameter().Replace(description.RelativePath ?? "", m => "{" + m.Groups[1].Value.Split(':', '=', '?')[0].TrimStart('*') + "}");

    /// <summary>A route parameter with its constraints, also inside a segment (<c>{model}:generateContent</c>).</summary>
    [GeneratedRegex(@"\{([^}]*)\}")]
    private static partial Regex RouteParameter();

    private static string PublishedPath(ApiDescription description, ApiDoc doc)
    {
        var path = GeneratedPath(description);
        foreach (var (route, published) in doc.PathNames) path = path.Replace("{" + route + "}", "{" + published + "}", StringComparison.Ordinal);
        return path;
    }

    /// <summary>Moves operations whose published path differs from the route's template (a parameter published under another name).</summary>
    private static void PublishRoutes(OpenApiDocument document, IEnumerable<ApiDescription> descriptions)
    {
        foreach (var description in descriptions)
        {
            if (DocsOf(description) is not [var doc] || description.HttpMethod is null) continue;
            var generated = GeneratedPath(description);
            var published = PublishedPath(description, doc);
            var method = HttpMethod.Parse(description.HttpMethod);
            if (published == generated || !document.Paths.TryGetValue(generated, out var item) || item is not OpenApiPathItem { Operations: { } operations }
                || !operations.Remove(method, out var operation))
            {
                continue;
            }
            if (operations.Count == 0) document.Paths.Remove(generated);
            AddOperation(document, published, method, operation);
        }
    }

    private static void AddForwarded(OpenApiDocument document, EndpointDataSource endpoints)
    {
        foreach (var area in endpoints.Endpoints.SelectMany(e => e.Metadata.GetOrderedMetadata<ForwardedApiDocs>()).Distinct())
        {
            foreach (var forwarded in area.Operations)
            {
                var operation = new OpenApiOperation();
                Describe(operation, forwarded.Doc, forwarded.Path, area.Area, document, admin: true);
                AddOperation(document, forwarded.Path, HttpMethod.Parse(forwarded.Method), operation);
            }
        }
    }

    private static void AddOperation(OpenApiDocument document, string path, HttpMethod method, OpenApiOperation operation)
    {
        if (!document.Paths.TryGetValue(path, out var item) || item is not OpenApiPathItem pathItem) document.Paths[path] = pathItem = new OpenApiPathItem();
        pathItem.AddOperation(method, operation);
    }

    private static void Describe(OpenApiOperation operation, ApiDoc doc, string path, string tag, OpenApiDocument? document, bool admin)
    {
        operation.OperationId = doc.OperationId;
        operation.Summary = doc.Summary;
        operation.Description = doc.Description;
        operation.Tags = new HashSet<OpenApiTagReference> { new(tag, document) };

        var parameters = new List<IOpenApiParameter>();
        foreach (var name in path.Split('/', ':').Where(s => s.StartsWith('{') && s.EndsWith('}')).Select(s => s[1..^1]))
        {
            parameters.Add(new OpenApiParameter
            {
                Name = name, In = ParameterLocation.Path, Required = true, Schema = new OpenApiSchema { Type = JsonSchemaType.String },
                Description = name switch
                {
                    "model" => "A catalog model id, e.g. gemini-2.5-flash.",
                    "id" when !admin => "A catalog model id, e.g. gpt-5.4.",
                    "request_id" => "The x-request-id of the request.",
                    "dead_letter_id" => "The dead letter's id (an integer, from the listing).",
                    _ => "The resource id (UUID).",
                },
            });
        }
        foreach (var q in doc.Query)
        {
            var schema = new OpenApiSchema { Type = q.Type == "integer" ? JsonSchemaType.Integer : JsonSchemaType.String };
            if (q.Enum is { } values) schema.Enum = [.. values.Select(v => (JsonNode)v)];
            parameters.Add(new OpenApiParameter
            {
                Name = q.Name, In = ParameterLocation.Query, Required = q.Required, Description = q.Description, Schema = schema,
                Example = q.Example is { } example ? JsonValue.Create(example) : null,
            });
        }
        operation.Parameters = parameters.Count > 0 ? parameters : null;

        if (doc.IsGemini)
        {
            operation.Security = [Requirement("bearerAuth", document), Requirement("apiKeyHeader", document), Requirement("googApiKeyHeader", document), Requirement("googApiKeyQuery", document)];
        }
        operation.RequestBody = doc.Request is { } request
            ? new OpenApiRequestBody
            {
                Required = true,
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    ["application/json"] = new() { Schema = Ref(request, document), Example = doc.Example is { } e ? JsonNode.Parse(e) : null },
                },
            }
            : null;

        var responses = new OpenApiResponses();
        var success = new OpenApiResponse
        {
            Description = doc.Stream is not null ? "Success: JSON, or a text/event-stream when streaming." : "Success.",
            Content = SuccessContent(doc, document),
        };
        // Relayed requests carry the request id (and cost, caps, rate limits); listings and self-service answers do not.
        if (doc.Relayed)
        {
            success.Headers = new Dictionary<string, IOpenApiHeader>
            {
                ["x-request-id"] = new OpenApiHeaderReference("RequestId", document),
                ["x-nexrelay-cost-usd"] = new OpenApiHeaderReference("CostUsd", document),
                ["x-nexrelay-output-cap"] = new OpenApiHeaderReference("OutputCap", document),
                ["x-ratelimit-limit-requests"] = new OpenApiHeaderReference("RateLimitLimitRequests", document),
                ["x-ratelimit-remaining-requests"] = new OpenApiHeaderReference("RateLimitRemainingRequests", document),
            };
        }
        responses[doc.SuccessStatus.ToString(CultureInfo.InvariantCulture)] = success;
        foreach (var status in doc.ErrorStatuses)
        {
            var error = new OpenApiResponse
            {
                Description = ErrorDescription(status),
                Content = new Dictionary<string, OpenApiMediaType>
                {
                    [doc.Errors == ErrorEnvelope.Problem ? "application/problem+json" : "application/json"] = new() { Schema = ErrorSchema(doc.Errors, document) },
                },
            };
            if (status == 429) error.Headers = new Dictionary<string, IOpenApiHeader> { ["Retry-After"] = new OpenApiHeaderReference("RetryAfter", document) };
            responses[status.ToString(CultureInfo.InvariantCulture)] = error;
        }
        operation.Responses = responses;
    }

    private static Dictionary<string, OpenApiMediaType> SuccessContent(ApiDoc doc, OpenApiDocument? document)
    {
        var content = new Dictionary<string, OpenApiMediaType>();
        if (!doc.StreamOnly) content["application/json"] = new() { Schema = Ref(doc.Response, document) };
        if (doc.Stream is { } stream)
        {
            content["text/event-stream"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = stream } };
        }
        if (doc.Csv)
        {
            content["text/csv"] = new() { Schema = new OpenApiSchema { Type = JsonSchemaType.String, Description = "Every matching row as CSV (send Accept: text/csv)." } };
        }
        return content;
    }

    private static IOpenApiSchema ErrorSchema(ErrorEnvelope envelope, OpenApiDocument? document) => envelope switch
    {
        ErrorEnvelope.Anthropic => Ref("AnthropicError", document),
        ErrorEnvelope.Gemini => Ref("GeminiError", document),
        ErrorEnvelope.AnyVendor => new OpenApiSchema { OneOf = [Ref("OpenAIError", document), Ref("AnthropicError", document), Ref("GeminiError", document)] },
        ErrorEnvelope.Problem => Ref("ProblemDetails", document),
        _ => Ref("OpenAIError", document),
    };

    internal static string ErrorDescription(int status) => status switch
    {
        400 => "Bad request: the body or a parameter is invalid.",
        401 => "Missing or invalid key.",
        402 => "The wallet's available balance or the key's budget cannot cover the worst-case cost.",
        403 => "The key may not use this model.",
        404 => "Unknown model or resource.",
        409 => "Conflict: the resource is revoked or kept changing.",
        413 => "Request body too large, or the output limit exceeds the key's cap in reject mode.",
        429 => "Rate limited (rpm or tpm of the key, or too many invalid keys from the caller's address); see Retry-After.",
        502 => "The upstream failed before the answer started.",
        503 => "A NexRelay service or every upstream is unavailable.",
        504 => "The upstream timed out before the answer started.",
        _ => "Error.",
    };

    private static void DescribeDocument(OpenApiDocument document, bool admin)
    {
        document.Info = admin
            ? new OpenApiInfo
            {
                Title = "NexRelay admin API", Version = "1.0.0",
                Description = "Operator API of NexRelay: keys, wallets and credits, request logs and usage. Every call needs Authorization: Bearer <admin token>; errors are RFC 9457 problem details.",
            }
            : new OpenApiInfo
            {
                Title = "NexRelay API", Version = "1.0.0",
                Description = Summary + " Pass the key as Authorization: Bearer nrk_… or x-api-key (Gemini clients may also use x-goog-api-key or ?key=).",
            };
        // The server is the URL each asset is fetched at (or NexRelay:PublicBaseUrl): set when it is served (PublishedDocs).
        document.Servers = [];
        if (admin)
        {
            document.AddComponent<IOpenApiSecurityScheme>("adminToken", Bearer("The operator's admin token (NEXRELAY_ADMIN_TOKEN)."));
        }
        else
        {
            document.AddComponent<IOpenApiSecurityScheme>("bearerAuth", Bearer("A NexRelay key (nrk_…) as Authorization: Bearer."));
            document.AddComponent<IOpenApiSecurityScheme>("apiKeyHeader", ApiKey(ParameterLocation.Header, "x-api-key", "A NexRelay key in x-api-key (what Anthropic SDKs send)."));
            document.AddComponent<IOpenApiSecurityScheme>("googApiKeyHeader", ApiKey(ParameterLocation.Header, "x-goog-api-key", "A NexRelay key in x-goog-api-key (Gemini routes)."));
            document.AddComponent<IOpenApiSecurityScheme>("googApiKeyQuery", ApiKey(ParameterLocation.Query, "key", "A NexRelay key in ?key= (Gemini routes)."));
        }
        document.Security = admin ? [Requirement("adminToken", document)] : [Requirement("bearerAuth", document), Requirement("apiKeyHeader", document)];
        foreach (var (name, header) in Headers()) document.AddComponent<IOpenApiHeader>(name, header);

        var tags = document.Paths.Values.SelectMany(p => p.Operations?.Values ?? Enumerable.Empty<OpenApiOperation>()).SelectMany(o => o.Tags ?? Enumerable.Empty<OpenApiTagReference>()).Select(t => t.Reference.Id).Distinct();
        document.Tags = new HashSet<OpenApiTag>([.. tags.Select(t => new OpenApiTag { Name = t })]);
    }

    private static IEnumerable<(string Name, OpenApiHeader Header)> Headers() =>
    [
        ("RequestId", Header("The request id, also the log row's request_id.")),
        ("CostUsd", Header("The request's cost in USD (non-streamed answers).")),
        ("OutputCap", Header("The output limit applied when the key's max_output_tokens clamped the request.", JsonSchemaType.Integer)),
        ("RateLimitLimitRequests", Header("The key's requests per minute (when it has an rpm).", JsonSchemaType.Integer)),
        ("RateLimitRemainingRequests", Header("Requests left in the current minute.", JsonSchemaType.Integer)),
        ("RetryAfter", Header("Seconds until the rate-limit window resets.", JsonSchemaType.Integer)),
    ];

    private static OpenApiHeader Header(string description, JsonSchemaType type = JsonSchemaType.String) =>
        new() { Description = description, Schema = new OpenApiSchema { Type = type } };

    private static OpenApiSchemaReference Ref(string schema, OpenApiDocument? document) => new(schema, document);

    private static OpenApiSecurityRequirement Requirement(string scheme, OpenApiDocument? document) => new() { [new OpenApiSecuritySchemeReference(scheme, document)] = [] };

    private static OpenApiSecurityScheme Bearer(string description) =>
        new() { Type = SecuritySchemeType.Http, Scheme = "bearer", Description = description };

    private static OpenApiSecurityScheme ApiKey(ParameterLocation location, string name, string description) =>
        new() { Type = SecuritySchemeType.ApiKey, In = location, Name = name, Description = description };
}
