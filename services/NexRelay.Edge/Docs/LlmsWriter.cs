using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using NexRelay.Contracts.Money;
using NexRelay.Edge.Catalog;

namespace NexRelay.Edge.Docs;

/// <summary>
/// <c>/llms.txt</c> (llmstxt.org: H1, blockquote summary, sections of links) and <c>/llms-full.txt</c> (the whole reference as
/// Markdown), rendered from the published OpenAPI documents (<see cref="PublishedDocs"/>) and the live model catalog.
/// </summary>
internal static class LlmsWriter
{
    public static string Index(JsonObject document, string baseUrl)
    {
        var text = new StringBuilder();
        text.Append("# NexRelay\n\n> ").Append(ApiDocTransformers.Summary).Append("\n\n");
        text.Append("Clients keep their own SDKs (OpenAI, Anthropic, Google Gen AI) and point them at this gateway with a NexRelay key. ")
            .Append("Every model answers in every format: NexRelay translates.\n\n");
        text.Append("## Docs\n\n");
        Link(text, "Full API reference", baseUrl + "/llms-full.txt", "every route, authentication, examples, errors and limits as Markdown");
        Link(text, "OpenAPI document", baseUrl + "/openapi.json", "OpenAPI 3.1 of the public and self-service routes");
        Link(text, "Interactive reference", baseUrl + "/docs", "Scalar over the OpenAPI document");
        Link(text, "Postman collection", baseUrl + "/postman-collection.json", "one request per public route; set baseUrl and apiKey");
        Link(text, "Plugin manifest", baseUrl + "/.well-known/ai-plugin.json", "AI plugin manifest pointing at the OpenAPI document");
        foreach (var group in DocumentOperation.All(document).GroupBy(r => r.Tag))
        {
            text.Append("\n## ").Append(group.Key).Append(" API\n\n");
            foreach (var route in group) Link(text, $"{route.Method} {route.Path}", baseUrl + "/llms-full.txt#" + Anchor(route), route.Summary);
        }
        text.Append("\n## Optional\n\n");
        Link(text, "Admin OpenAPI document", baseUrl + "/admin/openapi.json", "operator API (keys, wallets, logs, usage); needs the admin token");
        return text.ToString();
    }

    public static string Full(JsonObject document, JsonObject admin, string baseUrl, ModelCatalog catalog)
    {
        var t = new StringBuilder();
        t.Append("# NexRelay API reference\n\n> ").Append(ApiDocTransformers.Summary).Append("\n\n");
        t.Append("Base URL: `").Append(baseUrl).Append("`. OpenAPI: ").Append(baseUrl).Append("/openapi.json. Postman: ")
            .Append(baseUrl).Append("/postman-collection.json.\n\n");

        t.Append("""
        ## Authentication

        Every API route needs a NexRelay key (`nrk_…`), sent as one of:

        - `Authorization: Bearer nrk_…` (OpenAI SDKs, and any route)
        - `x-api-key: nrk_…` (Anthropic SDKs, and any route)
        - `x-goog-api-key: nrk_…` or the query parameter `?key=nrk_…` (Gemini routes; on `/v1/models` these also select Gemini's answer shape)

        A missing, unknown, expired, disabled or revoked key is refused with 401 in the route's error format. The published assets
        (`/openapi.json`, `/postman-collection.json`, `/.well-known/ai-plugin.json`, `/llms.txt`, `/llms-full.txt`, `/docs`) need no key.
        The admin API (`/admin/v1/...`) takes only the operator's admin token as `Authorization: Bearer`.


        """);

        t.Append("## Models\n\nAny model works on any format's routes. Prices are USD per million tokens.\n\n");
        t.Append("| model | owned by | context window | max output | input | cached input | output |\n|---|---|---|---|---|---|---|\n");
        foreach (var m in catalog.Models)
        {
            t.Append(CultureInfo.InvariantCulture, $"| `{m.Id}` | {m.OwnedBy} | {m.ContextWindow} | {m.MaxOutputTokens} | {Usd(m.Prices.InputMicrosPerM)} | {Usd(m.Prices.CachedInputMicrosPerM)} | {Usd(m.Prices.OutputMicrosPerM)} |\n");
        }

        var schemas = document["components"]?["schemas"] as JsonObject ?? [];
        foreach (var group in DocumentOperation.All(document).GroupBy(r => r.Tag))
        {
            t.Append("\n## ").Append(group.Key).Append(" routes\n");
            foreach (var route in group) Route(t, route, baseUrl, schemas);
        }

        t.Append("""

        ## Response headers

        - `x-request-id`: on every answer; the `request_id` of the request's log row (`GET /api/v1/logs/{request_id}`).
        - `x-nexrelay-cost-usd`: the request's cost in USD, on non-streamed relayed answers.
        - `x-nexrelay-output-cap`: the output limit applied when the key's `max_output_tokens` clamped the request.
        - `x-ratelimit-limit-requests`, `x-ratelimit-remaining-requests`, `x-ratelimit-reset-requests` (and `-tokens` with a tpm): when the key has rate limits.
        - `Retry-After`: seconds to wait, on 429.

        ## Errors

        Errors come in the format of the route that was called:

        - OpenAI routes and self-service: `{"error":{"message":"…","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`
        - Anthropic routes: `{"type":"error","error":{"type":"authentication_error","message":"…"}}`
        - Gemini routes: `{"error":{"code":401,"message":"…","status":"UNAUTHENTICATED"}}`
        - Admin routes: RFC 9457 problem details (`application/problem+json`) whose `errors` or `detail` name the field.

        Once a stream has started, an upstream failure arrives as an error event in the stream's own grammar.

        An upstream's own words on a 4xx are passed on after `Upstream: ` (e.g. a context length exceeded). Of an upstream's 5xx
        only the status is given, and an upstream refusing the gateway's own provider key is a 502 saying so: neither passes the
        upstream's body. Messages never carry NexRelay's internal services' answers; a 503 means try again shortly.

        | status | meaning | OpenAI type | Anthropic type | Gemini status |
        |---|---|---|---|---|
        | 400 | invalid body or parameter | invalid_request_error | invalid_request_error | INVALID_ARGUMENT |
        | 401 | missing or invalid key | invalid_request_error | authentication_error | UNAUTHENTICATED |
        | 402 | wallet balance or key budget too low for the worst-case cost | insufficient_quota | billing_error | FAILED_PRECONDITION |
        | 403 | model not allowed for the key | permission_error | permission_error | PERMISSION_DENIED |
        | 404 | unknown model or resource | invalid_request_error | not_found_error | NOT_FOUND |
        | 413 | body too large, or output limit over the key's cap in reject mode | invalid_request_error | request_too_large | INVALID_ARGUMENT |
        | 429 | key rate limit (rpm/tpm), or too many invalid keys from your address; see Retry-After | rate_limit_error | rate_limit_error | RESOURCE_EXHAUSTED |
        | 502 | upstream failed before the answer started | server_error | api_error | INTERNAL |
        | 503 | a NexRelay service or every upstream unavailable | server_error | overloaded_error | UNAVAILABLE |
        | 504 | upstream timed out before the answer started | server_error | timeout_error | DEADLINE_EXCEEDED |

        ## Limits

        - Prepaid: before relaying, NexRelay holds the worst-case cost (input-token estimate × input price + output limit × output price)
          on the wallet; the hold is settled to the real usage afterwards. Not enough available balance: 402.
        - Per-key policy (set by the operator, shown by `GET /api/v1/key`): `allowed_models` (403 otherwise), `max_output_tokens` with
          `output_cap_mode` `clamp` (the limit is lowered, header `x-nexrelay-output-cap`) or `reject` (413), `budget_usd` per `budget_period`
          (`total`, `day`, `month`; 402 when spent), `rpm` and `tpm` (429 with `Retry-After`), `expires_at`.
        - Request bodies over the gateway's size limit (20 MiB by default) are refused with 413.
        - Fields the upstream would bill beyond tokens are refused with 400 naming the field, before any hold: `service_tier`
          other than `auto`/`default` (OpenAI) or `auto`/`standard_only` (Anthropic), Gemini `serviceTier` other than `standard`;
          hosted and server tools; audio or image output; media other than images (video, audio, PDF, YouTube links); Anthropic
          `speed` `fast`, `inference_geo` `us`, `mcp_servers`, `container`; Gemini `cachedContent`; OpenAI `web_search_options`,
          `prediction` and legacy `functions`.
        - `count_tokens` and `:countTokens` are free (no hold, no charge) but count against the key's `rpm`/`tpm` (429), and a key
          whose wallet or budget has nothing available gets 402, as generation would.
        - Self-service log and usage queries are always the calling key's: `key_id` and `wallet_id`, in any spelling, are ignored.
        - Log queries return at most 1000 rows per page (default 50); `Accept: text/csv` exports every matching row. In the CSV a
          cell that starts with `=`, `+`, `-`, `@`, a tab or a CR gets a leading `'` (so a spreadsheet does not run it as a
          formula); numbers are left as they are.

        ## Admin API

        Operator routes, described by the admin OpenAPI document at `/admin/openapi.json` (admin token required):


        """);
        foreach (var route in DocumentOperation.All(admin)) t.Append(CultureInfo.InvariantCulture, $"- `{route.Method} {route.Path}`: {route.Summary}. {route.Description}\n");
        return t.ToString();
    }

    private static void Route(StringBuilder t, DocumentOperation route, string baseUrl, JsonObject schemas)
    {
        t.Append("\n### ").Append(route.Method).Append(' ').Append(route.Path).Append("\n\n");
        t.Append(route.Summary).Append(". ").Append(route.Description).Append('\n');
        if (route.QueryParameters.ToList() is { Count: > 0 } query)
        {
            t.Append("\nQuery parameters:\n\n");
            foreach (var q in query) t.Append("- `").Append(q["name"]!.GetValue<string>()).Append("`: ").Append(q["description"]?.GetValue<string>()).Append('\n');
        }
        if (route.RequestSchema is { } request && schemas[request]?["properties"] is JsonObject fields)
        {
            var required = schemas[request]?["required"]?.AsArray().Select(n => n!.GetValue<string>()).ToHashSet() ?? [];
            t.Append("\nRequest fields NexRelay reads: ")
                .AppendJoin(", ", fields.Select(f => "`" + f.Key + "`" + (required.Contains(f.Key) ? " (required)" : "")))
                .Append(".\n");
        }
        var path = route.Path.Replace("{id}", "gpt-5.4", StringComparison.Ordinal).Replace("{model}", "gemini-2.5-flash", StringComparison.Ordinal)
            .Replace("{request_id}", "REQUEST_ID", StringComparison.Ordinal);
        t.Append("\n```sh\ncurl");
        if (route.Method != "GET") t.Append(" -X ").Append(route.Method);
        t.Append(" '").Append(baseUrl).Append(path).Append(route.ExampleQuery is { } eq ? "?" + eq : "").Append("' \\\n  -H \"Authorization: Bearer $NEXRELAY_KEY\"");
        if (route.Example is { } body) t.Append(" \\\n  -H 'Content-Type: application/json' \\\n  -d '").Append(body.ToJsonString()).Append('\'');
        t.Append("\n```\n\n");
        t.Append("Success: ").Append(route.SuccessStatus).Append(", ")
            .Append(route.ResponseSchema is { } response ? $"`{response}`" + (route.Streams ? " (or `text/event-stream` when streaming)" : "") : "`text/event-stream`")
            .Append(". Errors: ").AppendJoin(", ", route.ErrorStatuses).Append(".\n");
    }

    private static void Link(StringBuilder text, string name, string url, string notes) =>
        text.Append("- [").Append(name).Append("](").Append(url).Append("): ").Append(notes).Append('\n');

    private static string Anchor(DocumentOperation route) =>
        new string((route.Method + " " + route.Path).ToLowerInvariant().Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_').ToArray()).Replace(' ', '-');

    private static string Usd(long microsPerM) => Micros.ToUsd(microsPerM).ToString("0.######", CultureInfo.InvariantCulture);
}
