namespace NexRelay.Edge.Docs;

/// <summary>Which error envelope a route answers in (the caller's own wire format; ProblemDetails for admin).</summary>
internal enum ErrorEnvelope { OpenAI, Anthropic, Gemini, OpenAIOrGemini, Problem }

internal sealed record DocQuery(string Name, string Description, string Type = "string", IReadOnlyList<string>? Enum = null);

/// <param name="Request">Component schema of the JSON request body, if any.</param>
/// <param name="Response">Component schema of the JSON success body.</param>
/// <param name="Streams">Also answers <c>text/event-stream</c> (with <c>"stream": true</c>, or <c>alt=sse</c> for Gemini).</param>
/// <param name="Example">The reference's example request body (also the Postman request).</param>
/// <param name="ExampleQuery">The query string the Postman request sends.</param>
internal sealed record DocRoute(
    string Method, string Path, string OperationId, string Tag, string Summary, string Description,
    ErrorEnvelope Errors, string? Request, string Response,
    bool Streams = false, string? Example = null, string? ExampleQuery = null, int SuccessStatus = 200,
    IReadOnlyList<DocQuery>? Query = null, IReadOnlyList<int>? ErrorStatuses = null)
{
    public IEnumerable<string> PathParameters =>
        Path.Split('/', ':').Where(s => s.StartsWith('{') && s.EndsWith('}')).Select(s => s[1..^1]);

    public bool IsGemini => Errors is ErrorEnvelope.Gemini or ErrorEnvelope.OpenAIOrGemini;
}

/// <summary>
/// The one list of documented routes: the OpenAPI documents, the Postman collection and llms-full.txt are all rendered from
/// it, and the docs tests call every entry on the running edge to prove it exists (mirrors <c>Apis/*.cs</c>).
/// </summary>
internal static class DocRoutes
{
    public const string ChatExample = """{"model":"gpt-5.4","messages":[{"role":"user","content":"Say hello in five words."}],"max_tokens":16}""";
    public const string ResponsesExample = """{"model":"gpt-5.5","input":"Say hello in five words.","max_output_tokens":16}""";
    public const string MessagesExample = """{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[{"role":"user","content":"Say hello in five words."}]}""";
    public const string CountTokensExample = """{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"Say hello in five words."}]}""";
    public const string GeminiExample = """{"contents":[{"role":"user","parts":[{"text":"Say hello in five words."}]}],"generationConfig":{"maxOutputTokens":16}}""";
    public const string GeminiCountExample = """{"contents":[{"role":"user","parts":[{"text":"Say hello in five words."}]}]}""";

    private static readonly int[] RelayErrors = [400, 401, 402, 403, 404, 413, 429, 502, 503, 504];
    private static readonly int[] ReadErrors = [401, 404, 503];
    private static readonly int[] CountErrors = [400, 401, 402, 403, 404, 413, 429, 503];

    private static readonly DocQuery[] LogFilters =
    [
        new("model", "Only rows of this model."),
        new("status", "Only rows with this HTTP status.", "integer"),
        new("from", "Rows created at or after this time (ISO 8601)."),
        new("to", "Rows created before this time (ISO 8601)."),
    ];

    private static readonly DocQuery[] LogPaging =
    [
        new("limit", "Rows per page, 1 to 1000 (default 50).", "integer"),
        new("cursor", "The next_cursor of the previous page."),
    ];

    private static readonly DocQuery GroupBy = new("group_by", "How to group the figures.", Enum: ["model", "key", "day"]);

    public static IReadOnlyList<DocRoute> Public { get; } = BuildPublic();

    public static IReadOnlyList<DocRoute> Admin { get; } = BuildAdmin();

    private static List<DocRoute> BuildPublic()
    {
        var routes = new List<DocRoute>();
        foreach (var (prefix, suffix) in new[] { ("/api/v1", ""), ("/v1", "V1") })
        {
            routes.Add(new("POST", prefix + "/chat/completions", "createChatCompletion" + suffix, "OpenAI", "Create a chat completion",
                "OpenAI Chat Completions. Any catalog model works: NexRelay translates to the model's upstream. With \"stream\": true the answer is text/event-stream chunks ending in data: [DONE].",
                ErrorEnvelope.OpenAI, "ChatCompletionRequest", "ChatCompletion", Streams: true, Example: ChatExample, ErrorStatuses: RelayErrors));
            routes.Add(new("POST", prefix + "/responses", "createResponse" + suffix, "OpenAI", "Create a response",
                "OpenAI Responses API. With \"stream\": true the answer is text/event-stream of typed events (response.created … response.completed).",
                ErrorEnvelope.OpenAI, "ResponsesRequest", "Response", Streams: true, Example: ResponsesExample, ErrorStatuses: RelayErrors));
        }
        routes.Add(new("GET", "/api/v1/models", "listModels", "OpenAI", "List models",
            "The catalog models this key may use, in OpenAI's list shape.", ErrorEnvelope.OpenAI, null, "ModelList", ErrorStatuses: [401, 503]));
        routes.Add(new("GET", "/api/v1/models/{id}", "getModel", "OpenAI", "Get a model",
            "One catalog model in OpenAI's shape; 404 when unknown or not allowed for this key.", ErrorEnvelope.OpenAI, null, "Model", ErrorStatuses: ReadErrors));
        routes.Add(new("GET", "/v1/models", "listModelsV1", "OpenAI", "List models (OpenAI or Gemini shape)",
            "Shared by OpenAI and Gemini SDKs: Gemini's shape when the key comes in x-goog-api-key or ?key=, otherwise OpenAI's.",
            ErrorEnvelope.OpenAIOrGemini, null, "ModelListAnyShape", ErrorStatuses: [401, 503]));
        routes.Add(new("GET", "/v1/models/{id}", "getModelV1", "OpenAI", "Get a model (OpenAI or Gemini shape)",
            "As /v1/models: Gemini's shape for Google-style keys, otherwise OpenAI's.",
            ErrorEnvelope.OpenAIOrGemini, null, "ModelAnyShape", ErrorStatuses: ReadErrors));

        foreach (var (prefix, suffix) in new[] { ("/v1", ""), ("/api/v1", "Api") })
        {
            routes.Add(new("POST", prefix + "/messages", "createMessage" + suffix, "Anthropic", "Create a message",
                "Anthropic Messages API (what the Anthropic SDKs call). With \"stream\": true the answer is text/event-stream of message_start … message_stop events.",
                ErrorEnvelope.Anthropic, "MessagesRequest", "Message", Streams: true, Example: MessagesExample, ErrorStatuses: RelayErrors));
            routes.Add(new("POST", prefix + "/messages/count_tokens", "countMessageTokens" + suffix, "Anthropic", "Count message tokens",
                "Counts the input tokens of a Messages request. Free (no hold, no charge), but it counts against the key's rate limits (429) and needs something available in the wallet and the key's budget (402 otherwise).",
                ErrorEnvelope.Anthropic, "CountTokensRequest", "CountTokensResponse", Example: CountTokensExample, ErrorStatuses: CountErrors));
        }

        foreach (var (prefix, suffix) in new[] { ("/v1beta", ""), ("/v1", "V1") })
        {
            if (prefix == "/v1beta")
            {
                routes.Add(new("GET", "/v1beta/models", "listGeminiModels", "Gemini", "List models (Gemini)",
                    "The catalog models this key may use, in Gemini's shape.", ErrorEnvelope.Gemini, null, "GeminiModelList", ErrorStatuses: [401, 503]));
                routes.Add(new("GET", "/v1beta/models/{model}", "getGeminiModel", "Gemini", "Get a model (Gemini)",
                    "One catalog model in Gemini's shape.", ErrorEnvelope.Gemini, null, "GeminiModel", ErrorStatuses: ReadErrors));
            }
            routes.Add(new("POST", prefix + "/models/{model}:generateContent", "generateContent" + suffix, "Gemini", "Generate content",
                "Gemini generateContent on any catalog model.", ErrorEnvelope.Gemini, "GenerateContentRequest", "GenerateContentResponse",
                Example: GeminiExample, ErrorStatuses: RelayErrors));
            routes.Add(new("POST", prefix + "/models/{model}:streamGenerateContent", "streamGenerateContent" + suffix, "Gemini", "Stream generated content",
                "Gemini streamGenerateContent. The answer is always text/event-stream (as Google answers with alt=sse): each event a whole GenerateContentResponse chunk, usageMetadata on the last.",
                ErrorEnvelope.Gemini, "GenerateContentRequest", "GenerateContentResponse", Streams: true, Example: GeminiExample, ExampleQuery: "alt=sse",
                Query: [new("alt", "sse (what Google SDKs send); the answer is server-sent events either way.", Enum: ["sse"])], ErrorStatuses: RelayErrors));
            routes.Add(new("POST", prefix + "/models/{model}:countTokens", "countGeminiTokens" + suffix, "Gemini", "Count tokens",
                "Counts the input tokens of a generateContent request. Free (no hold, no charge), but it counts against the key's rate limits (429) and needs something available in the wallet and the key's budget (402 otherwise).",
                ErrorEnvelope.Gemini, "GenerateContentRequest", "GeminiCountTokensResponse", Example: GeminiCountExample, ErrorStatuses: CountErrors));
        }

        routes.Add(new("GET", "/api/v1/key", "getKey", "Self-service", "The calling key",
            "The calling key's id, hint, wallet and policy; with a budget, the current period's use.", ErrorEnvelope.OpenAI, null, "KeyInfoEnvelope", ErrorStatuses: [401, 503]));
        routes.Add(new("GET", "/api/v1/credits", "getCredits", "Self-service", "The wallet's credits",
            "Balance, reserved (held by requests in flight) and available USD of the key's wallet.", ErrorEnvelope.OpenAI, null, "CreditsEnvelope", ErrorStatuses: [401, 503]));
        routes.Add(new("GET", "/api/v1/logs", "listLogs", "Self-service", "The key's request logs",
            "The calling key's request logs, newest first, keyset-paged. Send Accept: text/csv for every matching row as CSV. Always the calling key's rows: key_id and wallet_id, in any spelling, are ignored.",
            ErrorEnvelope.OpenAI, null, "LogPage", Query: [.. LogFilters, .. LogPaging], ErrorStatuses: [400, 401, 503]));
        routes.Add(new("GET", "/api/v1/logs/{request_id}", "getLog", "Self-service", "One request log",
            "One request log of the calling key, by the x-request-id the request was answered with.", ErrorEnvelope.OpenAI, null, "LogEntry", ErrorStatuses: [401, 404, 503]));
        routes.Add(new("GET", "/api/v1/usage", "getUsage", "Self-service", "The key's usage",
            "Requests, tokens and cost of the calling key, grouped by model, key or day. Always the calling key's figures: key_id and wallet_id, in any spelling, are ignored.", ErrorEnvelope.OpenAI, null, "UsageReport",
            ExampleQuery: "group_by=model", Query: [.. LogFilters, GroupBy], ErrorStatuses: [400, 401, 503]));
        return routes;
    }

    private static List<DocRoute> BuildAdmin()
    {
        int[] write = [400, 401, 404, 409];
        int[] read = [401, 404];
        List<DocRoute> routes =
        [
            new("POST", "/admin/v1/keys", "createKey", "Keys", "Create a key",
                "Creates a key on a wallet. The secret is in the response's key field, once: it is not stored.",
                ErrorEnvelope.Problem, "KeyCreate", "Key", SuccessStatus: 201, ErrorStatuses: [400, 401]),
            new("GET", "/admin/v1/keys", "listKeys", "Keys", "List a wallet's keys", "Every key of a wallet.",
                ErrorEnvelope.Problem, null, "KeyList", Query: [new("wallet_id", "The wallet (UUID); required.")], ErrorStatuses: [400, 401]),
            new("GET", "/admin/v1/keys/{id}", "getAdminKey", "Keys", "Get a key", "One key, without its secret.", ErrorEnvelope.Problem, null, "Key", ErrorStatuses: read),
            new("PATCH", "/admin/v1/keys/{id}", "updateKey", "Keys", "Update a key's policy",
                "Changes name, policy fields or disabled: every edge applies the change within a second, or the call answers 503 and nothing changed.",
                ErrorEnvelope.Problem, "KeyPatch", "Key", ErrorStatuses: [.. write, 503]),
            new("DELETE", "/admin/v1/keys/{id}", "revokeKey", "Keys", "Revoke a key",
                "Revokes the key for good: every edge refuses it within a second, or the call answers 503 and nothing changed.",
                ErrorEnvelope.Problem, null, "Key", ErrorStatuses: [.. read, 503]),
            new("POST", "/admin/v1/keys/{id}/rotate", "rotateKey", "Keys", "Rotate a key's secret",
                "Issues a new secret (in the key field, once); every edge refuses the old one within a second, or the call answers 503 and nothing changed.",
                ErrorEnvelope.Problem, null, "Key", ErrorStatuses: [401, 404, 409, 503]),
            new("POST", "/admin/v1/wallets", "createWallet", "Wallets", "Create a wallet", "Creates an empty wallet.",
                ErrorEnvelope.Problem, "WalletCreate", "Wallet", SuccessStatus: 201, ErrorStatuses: [400, 401]),
            new("GET", "/admin/v1/wallets/{id}", "getWallet", "Wallets", "Get a wallet", "Balance, reserved and available USD.",
                ErrorEnvelope.Problem, null, "Wallet", ErrorStatuses: read),
            new("POST", "/admin/v1/wallets/{id}/credits", "addCredit", "Wallets", "Add credit",
                "Adds credit; the reference makes it idempotent (a repeat answers 200 with the first entry).",
                ErrorEnvelope.Problem, "CreditCreate", "LedgerEntry", SuccessStatus: 201, ErrorStatuses: [400, 401, 404]),
            new("GET", "/admin/v1/wallets/{id}/ledger", "getLedger", "Wallets", "A wallet's ledger", "Ledger entries, newest first, paged.",
                ErrorEnvelope.Problem, null, "LedgerPage", Query: LogPaging, ErrorStatuses: [400, 401, 404]),
            new("GET", "/admin/v1/logs", "listAdminLogs", "Logs", "Request logs", "Request logs of any key or wallet, newest first. Accept: text/csv exports CSV.",
                ErrorEnvelope.Problem, null, "LogPage",
                Query: [new("wallet_id", "Only this wallet's rows."), new("key_id", "Only this key's rows."), .. LogFilters, .. LogPaging], ErrorStatuses: [400, 401]),
            new("GET", "/admin/v1/logs/{request_id}", "getAdminLog", "Logs", "One request log", "One request log by request id.",
                ErrorEnvelope.Problem, null, "LogEntry", ErrorStatuses: read),
            new("GET", "/admin/v1/usage", "getAdminUsage", "Logs", "Usage", "Requests, tokens and cost, grouped by model, key or day.",
                ErrorEnvelope.Problem, null, "UsageReport",
                Query: [new("wallet_id", "Only this wallet."), new("key_id", "Only this key."), .. LogFilters, GroupBy], ErrorStatuses: [400, 401]),
        ];
        // Each service keeps the dead letters of its own queue: events it could not settle or store for a reason retrying
        // will not fix (the rest of their batch went through).
        foreach (var (queue, events, name) in new[] { ("settlements", "settlement events (billing)", "Settlement"), ("logs", "request-log events (logging)", "Log") })
        {
            var path = "/admin/v1/dead-letters/" + queue;
            routes.Add(new("GET", path, $"list{name}DeadLetters", "Dead letters", $"{name} dead letters",
                $"The {events} that could not be processed, newest first, paged, each with its reason and the event as it came.",
                ErrorEnvelope.Problem, null, "DeadLetterPage", Query: LogPaging, ErrorStatuses: [400, 401]));
            routes.Add(new("GET", path + "/{dead_letter_id}", $"get{name}DeadLetter", "Dead letters", $"One {name.ToLowerInvariant()} dead letter",
                "One dead letter by id.", ErrorEnvelope.Problem, null, "DeadLetter", ErrorStatuses: read));
            routes.Add(new("POST", path + "/{dead_letter_id}/requeue", $"requeue{name}DeadLetter", "Dead letters", $"Re-queue a {name.ToLowerInvariant()} dead letter",
                "Sends the event back to the service's queue (after its cause is fixed) and removes it from the list; processing is idempotent by request id, so a settlement is captured once however often it is re-queued. One that fails again is dead-lettered anew.",
                ErrorEnvelope.Problem, null, "DeadLetterRequeue", SuccessStatus: 202, ErrorStatuses: [401, 404, 503]));
            routes.Add(new("POST", path + "/requeue", $"requeueAll{name}DeadLetters", "Dead letters", $"Re-queue every {name.ToLowerInvariant()} dead letter",
                "As re-queueing one, for every dead letter listed when the call starts.",
                ErrorEnvelope.Problem, null, "DeadLetterRequeue", SuccessStatus: 202, ErrorStatuses: [401, 503]));
            routes.Add(new("DELETE", path + "/{dead_letter_id}", $"discard{name}DeadLetter", "Dead letters", $"Discard a {name.ToLowerInvariant()} dead letter",
                "Drops a dead letter that can never be processed; answers with what was dropped.",
                ErrorEnvelope.Problem, null, "DeadLetter", ErrorStatuses: read));
        }
        return routes;
    }
}
