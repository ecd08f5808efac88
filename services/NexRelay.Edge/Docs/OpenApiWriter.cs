using System.Text.Json.Nodes;

namespace NexRelay.Edge.Docs;

/// <summary>Renders the OpenAPI 3.1 documents (public and admin) from <see cref="DocRoutes"/> and <see cref="Schemas"/>.</summary>
internal static class OpenApiWriter
{
    public const string Summary =
        "NexRelay is an AI gateway: one NexRelay key and prepaid wallet for OpenAI-, Anthropic- and Gemini-compatible APIs over every catalog model, with per-key policy, budgets, rate limits and request logs.";

    public static JsonObject Public(string baseUrl) => Document(baseUrl, "NexRelay API",
        Summary + " Pass the key as Authorization: Bearer nrk_… or x-api-key (Gemini clients may also use x-goog-api-key or ?key=).",
        DocRoutes.Public, Schemas.Public(), admin: false);

    public static JsonObject Admin(string baseUrl) => Document(baseUrl, "NexRelay admin API",
        "Operator API of NexRelay: keys, wallets and credits, request logs and usage. Every call needs Authorization: Bearer <admin token>; errors are RFC 9457 problem details.",
        DocRoutes.Admin, Schemas.Admin(), admin: true);

    private static JsonObject Document(string baseUrl, string title, string description, IReadOnlyList<DocRoute> routes, JsonObject schemas, bool admin)
    {
        var paths = new JsonObject();
        foreach (var route in routes)
        {
            if (paths[route.Path] is not JsonObject item) paths[route.Path] = item = new JsonObject();
            item[route.Method.ToLowerInvariant()] = Operation(route, admin);
        }
        var securitySchemes = admin
            ? new JsonObject { ["adminToken"] = Scheme("http", "bearer", "The operator's admin token (NEXRELAY_ADMIN_TOKEN).") }
            : new JsonObject
            {
                ["bearerAuth"] = Scheme("http", "bearer", "A NexRelay key (nrk_…) as Authorization: Bearer."),
                ["apiKeyHeader"] = ApiKey("header", "x-api-key", "A NexRelay key in x-api-key (what Anthropic SDKs send)."),
                ["googApiKeyHeader"] = ApiKey("header", "x-goog-api-key", "A NexRelay key in x-goog-api-key (Gemini routes)."),
                ["googApiKeyQuery"] = ApiKey("query", "key", "A NexRelay key in ?key= (Gemini routes)."),
            };
        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject { ["title"] = title, ["version"] = "1.0.0", ["description"] = description },
            ["servers"] = new JsonArray(new JsonObject { ["url"] = baseUrl, ["description"] = "NexRelay edge" }),
            ["security"] = admin ? new JsonArray(Requirement("adminToken")) : new JsonArray(Requirement("bearerAuth"), Requirement("apiKeyHeader")),
            ["tags"] = new JsonArray([.. routes.Select(r => r.Tag).Distinct().Select(t => (JsonNode)new JsonObject { ["name"] = t })]),
            ["paths"] = paths,
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = securitySchemes,
                ["schemas"] = schemas,
                ["headers"] = Headers(),
            },
        };
    }

    private static JsonObject Operation(DocRoute route, bool admin)
    {
        var parameters = new JsonArray();
        foreach (var name in route.PathParameters)
        {
            parameters.Add(new JsonObject
            {
                ["name"] = name, ["in"] = "path", ["required"] = true, ["schema"] = new JsonObject { ["type"] = "string" },
                ["description"] = name switch
                {
                    "model" => "A catalog model id, e.g. gemini-2.5-flash.",
                    "id" when !admin => "A catalog model id, e.g. gpt-5.4.",
                    "request_id" => "The x-request-id of the request.",
                    "dead_letter_id" => "The dead letter's id (an integer, from the listing).",
                    _ => "The resource id (UUID).",
                },
            });
        }
        foreach (var q in route.Query ?? [])
        {
            var schema = new JsonObject { ["type"] = q.Type };
            if (q.Enum is { } values) schema["enum"] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
            parameters.Add(new JsonObject { ["name"] = q.Name, ["in"] = "query", ["required"] = q.Name == "wallet_id" && route.OperationId == "listKeys", ["description"] = q.Description, ["schema"] = schema });
        }

        var operation = new JsonObject
        {
            ["operationId"] = route.OperationId,
            ["tags"] = new JsonArray(route.Tag),
            ["summary"] = route.Summary,
            ["description"] = route.Description,
        };
        if (parameters.Count > 0) operation["parameters"] = parameters;
        if (route.IsGemini)
        {
            operation["security"] = new JsonArray(Requirement("bearerAuth"), Requirement("apiKeyHeader"), Requirement("googApiKeyHeader"), Requirement("googApiKeyQuery"));
        }
        if (route.Request is { } request)
        {
            var media = new JsonObject { ["schema"] = Ref(request) };
            if (route.Example is { } example) media["example"] = JsonNode.Parse(example);
            operation["requestBody"] = new JsonObject { ["required"] = true, ["content"] = new JsonObject { ["application/json"] = media } };
        }

        var responses = new JsonObject();
        var success = new JsonObject
        {
            ["description"] = route.Streams ? "Success: JSON, or a text/event-stream when streaming." : "Success.",
            ["content"] = Content(route),
        };
        // Relayed requests carry the request id (and cost, caps, rate limits); listings and self-service answers do not.
        if (!admin && route.Request is not null && !route.OperationId.Contains("count", StringComparison.OrdinalIgnoreCase))
        {
            success["headers"] = new JsonObject
            {
                ["x-request-id"] = HeaderRef("RequestId"),
                ["x-nexrelay-cost-usd"] = HeaderRef("CostUsd"),
                ["x-nexrelay-output-cap"] = HeaderRef("OutputCap"),
                ["x-ratelimit-limit-requests"] = HeaderRef("RateLimitLimitRequests"),
                ["x-ratelimit-remaining-requests"] = HeaderRef("RateLimitRemainingRequests"),
            };
        }
        responses[route.SuccessStatus.ToString(System.Globalization.CultureInfo.InvariantCulture)] = success;
        foreach (var status in route.ErrorStatuses ?? [401])
        {
            var error = new JsonObject
            {
                ["description"] = ErrorDescription(status),
                ["content"] = new JsonObject { [route.Errors == ErrorEnvelope.Problem ? "application/problem+json" : "application/json"] = new JsonObject { ["schema"] = ErrorSchema(route.Errors) } },
            };
            if (status == 429) error["headers"] = new JsonObject { ["Retry-After"] = HeaderRef("RetryAfter") };
            responses[status.ToString(System.Globalization.CultureInfo.InvariantCulture)] = error;
        }
        operation["responses"] = responses;
        return operation;
    }

    private static JsonObject Content(DocRoute route)
    {
        // streamGenerateContent answers server-sent events only; the other streaming routes answer JSON unless asked to stream.
        var sseOnly = route.OperationId.StartsWith("streamGenerateContent", StringComparison.Ordinal);
        var content = sseOnly ? new JsonObject() : new JsonObject { ["application/json"] = new JsonObject { ["schema"] = Ref(route.Response) } };
        if (route.Streams)
        {
            content["text/event-stream"] = new JsonObject
            {
                ["schema"] = new JsonObject
                {
                    ["type"] = "string",
                    ["description"] = route.Errors switch
                    {
                        ErrorEnvelope.Anthropic => "Anthropic stream events (event: message_start … message_stop); an error after the start arrives as event: error.",
                        ErrorEnvelope.Gemini => "data: lines, each a GenerateContentResponse JSON object (components/schemas/GenerateContentResponse); usageMetadata on the last.",
                        _ when route.Response == "Response" => "Responses API events (response.created, response.output_text.delta, … response.completed).",
                        _ => "data: lines, each a chat.completion.chunk, ending with data: [DONE].",
                    },
                },
            };
        }
        if (route.OperationId is "listLogs" or "listAdminLogs")
        {
            content["text/csv"] = new JsonObject { ["schema"] = new JsonObject { ["type"] = "string", ["description"] = "Every matching row as CSV (send Accept: text/csv)." } };
        }
        return content;
    }

    private static JsonObject ErrorSchema(ErrorEnvelope envelope) => envelope switch
    {
        ErrorEnvelope.Anthropic => Ref("AnthropicError"),
        ErrorEnvelope.Gemini => Ref("GeminiError"),
        ErrorEnvelope.OpenAIOrGemini => new JsonObject { ["oneOf"] = new JsonArray(Ref("OpenAIError"), Ref("GeminiError")) },
        ErrorEnvelope.Problem => Ref("ProblemDetails"),
        _ => Ref("OpenAIError"),
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

    private static JsonObject Headers() => new()
    {
        ["RequestId"] = Header("The request id, also the log row's request_id."),
        ["CostUsd"] = Header("The request's cost in USD (non-streamed answers)."),
        ["OutputCap"] = Header("The output limit applied when the key's max_output_tokens clamped the request.", "integer"),
        ["RateLimitLimitRequests"] = Header("The key's requests per minute (when it has an rpm).", "integer"),
        ["RateLimitRemainingRequests"] = Header("Requests left in the current minute.", "integer"),
        ["RetryAfter"] = Header("Seconds until the rate-limit window resets.", "integer"),
    };

    private static JsonObject Header(string description, string type = "string") =>
        new() { ["description"] = description, ["schema"] = new JsonObject { ["type"] = type } };

    private static JsonObject HeaderRef(string name) => new() { ["$ref"] = "#/components/headers/" + name };

    private static JsonObject Ref(string schema) => new() { ["$ref"] = "#/components/schemas/" + schema };

    private static JsonObject Requirement(string scheme) => new() { [scheme] = new JsonArray() };

    private static JsonObject Scheme(string type, string scheme, string description) =>
        new() { ["type"] = type, ["scheme"] = scheme, ["description"] = description };

    private static JsonObject ApiKey(string location, string name, string description) =>
        new() { ["type"] = "apiKey", ["in"] = location, ["name"] = name, ["description"] = description };
}
