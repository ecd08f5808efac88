namespace NexRelay.Edge.Docs;

/// <summary>
/// What the reference says about each public operation. Paths and methods are not here: each doc is attached to its route
/// in <c>Apis/*.cs</c> (<see cref="ApiDocConventions.WithApiDoc"/>) and the document takes them from routing.
/// </summary>
internal static class PublicApiDocs
{
    private const string ChatExample = """{"model":"gpt-5.4","messages":[{"role":"user","content":"Say hello in five words."}],"max_tokens":16}""";
    private const string ResponsesExample = """{"model":"gpt-5.5","input":"Say hello in five words.","max_output_tokens":16}""";
    private const string MessagesExample = """{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[{"role":"user","content":"Say hello in five words."}]}""";
    private const string CountTokensExample = """{"model":"claude-sonnet-4-6","messages":[{"role":"user","content":"Say hello in five words."}]}""";
    private const string GeminiExample = """{"contents":[{"role":"user","parts":[{"text":"Say hello in five words."}]}],"generationConfig":{"maxOutputTokens":16}}""";
    private const string GeminiCountExample = """{"contents":[{"role":"user","parts":[{"text":"Say hello in five words."}]}]}""";

    private const string CountIsFree =
        "Free (no hold, no charge), but it counts against the key's rate limits (429) and needs something available in the wallet and the key's budget (402 otherwise).";

    internal static readonly int[] RelayErrors = [400, 401, 402, 403, 404, 413, 429, 502, 503, 504];
    private static readonly int[] ReadErrors = [401, 404, 503];
    private static readonly int[] CountErrors = [400, 401, 402, 403, 404, 413, 429, 503];

    internal static readonly DocQuery[] LogFilters =
    [
        new("model", "Only rows of this model."),
        new("status", "Only rows with this HTTP status.", "integer"),
        new("from", "Rows created at or after this time (ISO 8601)."),
        new("to", "Rows created before this time (ISO 8601)."),
    ];

    internal static readonly DocQuery NextCursor = new("cursor", "The next_cursor of the previous page.");

    internal static readonly DocQuery[] LogPaging =
    [
        new("limit", "Rows per page, 1 to 1000 (default 50).", "integer"),
        NextCursor,
    ];

    internal static DocQuery GroupBy(string? example = null) => new("group_by",
        "What to group the figures by: one or more of day, model, key, status and upstream (the provider that served the requests), comma-separated, each once (e.g. day,model or upstream,status); model by default. " +
        "Each group has a field per dimension (day, model, key_id, status, upstream_provider) and, grouped by one only, its value as text in group.",
        Example: example);

    private static readonly Dictionary<string, string> RequestIdName = new() { ["requestId"] = "request_id" };

    // OpenAI

    public static readonly ApiDoc ChatCompletion = new("createChatCompletion", "Create a chat completion",
        "OpenAI Chat Completions. Any catalog model works: NexRelay translates to the model's upstream. With \"stream\": true the answer is text/event-stream chunks ending in data: [DONE].",
        "ChatCompletionRequest", "ChatCompletion")
    {
        Stream = "data: lines, each a chat.completion.chunk, ending with data: [DONE].",
        Relayed = true, Example = ChatExample, ErrorStatuses = RelayErrors,
    };

    public static readonly ApiDoc Response = new("createResponse", "Create a response",
        "OpenAI Responses API. With \"stream\": true the answer is text/event-stream of typed events (response.created … response.completed).",
        "ResponsesRequest", "Response")
    {
        Stream = "Responses API events (response.created, response.output_text.delta, … response.completed).",
        Relayed = true, Example = ResponsesExample, ErrorStatuses = RelayErrors,
    };

    public static readonly ApiDoc GetResponse = new("getResponse", "Get a stored response",
        "A response this key's owner created with store: true (the default), as it was answered. Kept Logging:StoredResponseRetentionDays days (30 by default); another owner's id is a 404.",
        null, "Response")
    {
        ErrorStatuses = ReadErrors,
    };

    public static readonly ApiDoc DeleteResponse = new("deleteResponse", "Delete a stored response",
        "Deletes a stored response of this key's owner: it can no longer be read or continued with previous_response_id.", null, "DeletedResponse")
    {
        ErrorStatuses = ReadErrors,
    };

    public static readonly ApiDoc ListInputItems = new("listInputItems", "List a stored response's input items",
        "The input items a stored response answered (a continued response's include the conversation before it), newest first unless order=asc.",
        null, "ResponseItemList")
    {
        ErrorStatuses = [400, 401, 404, 503],
        Query =
        [
            new("limit", "Items per page, 1 to 100 (default 20).", "integer"),
            new("order", "The items' order (default desc).", Enum: ["asc", "desc"]),
            new("after", "An item id: the page starts after it."),
        ],
    };

    public static readonly ApiDoc ListModels = new("listModels", "List models",
        "The catalog models this key may use, in OpenAI's list shape.", null, "ModelList") { ErrorStatuses = [401, 503] };

    public static readonly ApiDoc GetModel = new("getModel", "Get a model",
        "One catalog model in OpenAI's shape; 404 when unknown or not allowed for this key.", null, "Model") { ErrorStatuses = ReadErrors };

    public static readonly ApiDoc ListModelsAnyShape = new("listModelsV1", "List models (OpenAI, Anthropic or Gemini shape)",
        "Shared by the OpenAI, Anthropic and Gemini SDKs: Gemini's shape when the key comes in x-goog-api-key or ?key=, Anthropic's when the request sends anthropic-version, otherwise OpenAI's.", null, "ModelListAnyShape")
    {
        Errors = ErrorEnvelope.AnyVendor, ErrorStatuses = [401, 503],
    };

    public static readonly ApiDoc GetModelAnyShape = new("getModelV1", "Get a model (OpenAI, Anthropic or Gemini shape)",
        "As /v1/models: Gemini's shape for Google-style keys, Anthropic's with anthropic-version, otherwise OpenAI's.", null, "ModelAnyShape")
    {
        Errors = ErrorEnvelope.AnyVendor, ErrorStatuses = ReadErrors,
    };

    // Anthropic

    public static readonly ApiDoc Message = new("createMessage", "Create a message",
        "Anthropic Messages API (what the Anthropic SDKs call). With \"stream\": true the answer is text/event-stream of message_start … message_stop events.",
        "MessagesRequest", "Message")
    {
        Errors = ErrorEnvelope.Anthropic,
        Stream = "Anthropic stream events (event: message_start … message_stop); an error after the start arrives as event: error.",
        Relayed = true, Example = MessagesExample, ErrorStatuses = RelayErrors,
    };

    public static readonly ApiDoc CountMessageTokens = new("countMessageTokens", "Count message tokens",
        "Counts the input tokens of a Messages request. " + CountIsFree, "CountTokensRequest", "CountTokensResponse")
    {
        Errors = ErrorEnvelope.Anthropic, Example = CountTokensExample, ErrorStatuses = CountErrors,
    };

    // Gemini

    public static readonly ApiDoc ListGeminiModels = new("listGeminiModels", "List models (Gemini)",
        "The catalog models this key may use, in Gemini's shape.", null, "GeminiModelList") { Errors = ErrorEnvelope.Gemini, ErrorStatuses = [401, 503] };

    public static readonly ApiDoc GetGeminiModel = new("getGeminiModel", "Get a model (Gemini)", "One catalog model in Gemini's shape.", null, "GeminiModel")
    {
        Errors = ErrorEnvelope.Gemini, ErrorStatuses = ReadErrors, PathNames = new Dictionary<string, string> { ["id"] = "model" },
    };

    public static readonly ApiDoc GenerateContent = new("generateContent", "Generate content",
        "Gemini generateContent on any catalog model.", "GenerateContentRequest", "GenerateContentResponse")
    {
        Errors = ErrorEnvelope.Gemini, Relayed = true, Example = GeminiExample, ErrorStatuses = RelayErrors,
    };

    public static readonly ApiDoc StreamGenerateContent = new("streamGenerateContent", "Stream generated content",
        "Gemini streamGenerateContent. The answer is always text/event-stream (as Google answers with alt=sse): each event a whole GenerateContentResponse chunk, usageMetadata on the last.",
        "GenerateContentRequest", "GenerateContentResponse")
    {
        Errors = ErrorEnvelope.Gemini,
        Stream = "data: lines, each a GenerateContentResponse JSON object (components/schemas/GenerateContentResponse); usageMetadata on the last.",
        StreamOnly = true, Relayed = true, Example = GeminiExample, ErrorStatuses = RelayErrors,
        Query = [new("alt", "sse (what Google SDKs send); the answer is server-sent events either way.", Enum: ["sse"], Example: "sse")],
    };

    public static readonly ApiDoc CountGeminiTokens = new("countGeminiTokens", "Count tokens",
        "Counts the input tokens of a generateContent request. " + CountIsFree, "GenerateContentRequest", "GeminiCountTokensResponse")
    {
        Errors = ErrorEnvelope.Gemini, Example = GeminiCountExample, ErrorStatuses = CountErrors,
    };

    // Self-service

    public static readonly ApiDoc GetKey = new("getKey", "The calling key",
        "The calling key's id, hint, wallet and policy; with a budget, the current period's use.", null, "KeyInfoEnvelope") { ErrorStatuses = [401, 503] };

    public static readonly ApiDoc GetCredits = new("getCredits", "The wallet's credits",
        "Balance, reserved (held by requests in flight) and available USD of the key's wallet.", null, "CreditsEnvelope") { ErrorStatuses = [401, 503] };

    public static readonly ApiDoc RedeemCode = new("redeemCode", "Redeem a code",
        "Adds a redemption code's amount to the key's wallet, once. A used, voided or expired code is a 409, an unknown one a 404; nothing changes. Failed attempts are limited per key and per address (429 with Retry-After).",
        "RedeemRequest", "RedeemedEnvelope")
    {
        ErrorStatuses = [400, 401, 404, 409, 429, 503], Example = """{"code": "NXR-7K2QD-M9XTR-4HB8N-C3VWE"}""", ExampleStatuses = [200, 404],
    };

    public static readonly ApiDoc CreateCheckout = new("createCheckout", "Pay by card",
        "Opens a Stripe Checkout page for amount_usd (within the operator's bounds, whole cents); send the payer to url. The key's wallet is credited when Stripe reports the payment, not before. 503 payments_not_configured when the gateway takes no card payments.",
        "CheckoutRequest", "CheckoutEnvelope")
    {
        ErrorStatuses = [400, 401, 502, 503], Example = """{"amount_usd": 20}""", ExampleStatuses = [200, 503],
    };

    public static readonly ApiDoc ListLogs = new("listLogs", "The key's request logs",
        "The calling key's request logs, newest first, keyset-paged. Send Accept: text/csv for every matching row as CSV. Always the calling key's rows: key_id and wallet_id, in any spelling, are ignored.",
        null, "LogPage")
    {
        Csv = true, Query = [.. LogFilters, .. LogPaging], ErrorStatuses = [400, 401, 503],
    };

    public static readonly ApiDoc GetLog = new("getLog", "One request log",
        "One request log of the calling key, by the x-request-id the request was answered with.", null, "LogEntry")
    {
        ErrorStatuses = [401, 404, 503], PathNames = RequestIdName,
    };

    public static readonly ApiDoc GetUsage = new("getUsage", "The key's usage",
        "Requests, tokens and cost of the calling key, grouped by one or more of day, model, key, status and upstream (group_by=day,model: a day-by-model series). Always the calling key's figures: key_id and wallet_id, in any spelling, are ignored.",
        null, "UsageReport")
    {
        Query = [.. LogFilters, GroupBy(example: "day,model")], ErrorStatuses = [400, 401, 503],
    };

    // Notifications (billing's, for the key's own wallet)

    internal static readonly DocQuery[] NotificationPaging =
    [
        new("limit", "Events per page, 1 to 500 (default 50).", "integer"),
        new("cursor", "The next_cursor of the previous page."),
    ];

    private const string SettingsExample = """{"url":"https://93.184.216.34/nexrelay-webhook","balance_below_usd":5}""";

    public static readonly ApiDoc PutNotificationSettings = new("putNotificationSettings", "Set balance and budget notifications",
        "Sets the webhook and thresholds of the key's wallet. When the balance falls below balance_below_usd, one event (balance.below_threshold) is POSTed; unless budget_alerts is false, also one (budget.threshold_reached) when a key's budget reaches 80 % and 100 % of its period. Each is signed in x-nexrelay-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of \"<t>.<body>\" keyed with the signing secret>; it is retried with backoff and logged (GET /api/v1/notifications). The answer to the first call carries signing_secret, shown once; later calls keep the secret and do not show it. The URL must be https and resolve to public addresses only.",
        "NotificationSettingsRequest", "NotificationSettingsEnvelope")
    {
        ErrorStatuses = [400, 401, 413, 503], Example = SettingsExample,
    };

    public static readonly ApiDoc GetNotificationSettings = new("getNotificationSettings", "Balance and budget notification settings",
        "The key's wallet's webhook and threshold, without the signing secret.", null, "NotificationSettingsEnvelope") { ErrorStatuses = [401, 404, 503] };

    public static readonly ApiDoc DeleteNotificationSettings = new("deleteNotificationSettings", "Stop balance and budget notifications",
        "Removes the webhook, threshold and signing secret; events not yet delivered are given up. Answers the removed settings.",
        null, "NotificationSettingsEnvelope") { ErrorStatuses = [401, 404, 503] };

    public static readonly ApiDoc ListNotifications = new("listNotifications", "Notification deliveries",
        "The key's wallet's events, newest first, keyset-paged: each with its state (pending, delivered, failed), the event as sent and every attempt (status or error).",
        null, "NotificationPage")
    {
        Query = NotificationPaging, ErrorStatuses = [400, 401, 503],
    };

    /// <summary>The statuses an operation's example may get (<see cref="ApiDoc.ExampleStatuses"/>), by operationId; 200 for the rest.</summary>
    public static IReadOnlyList<int> ExampleStatuses(string? operationId) =>
        operationId is not null && OperationsWithOtherOutcomes.Value.TryGetValue(operationId, out var statuses) ? statuses : [200];

    private static readonly Lazy<Dictionary<string, IReadOnlyList<int>>> OperationsWithOtherOutcomes = new(() =>
        typeof(PublicApiDocs).GetFields(System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Static)
            .Select(f => f.GetValue(null)).OfType<ApiDoc>().Where(d => d.ExampleStatuses is not [200])
            .ToDictionary(d => d.OperationId, d => d.ExampleStatuses));
}
