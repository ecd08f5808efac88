using System.Text.Json.Nodes;

namespace NexRelay.Edge.Docs;

/// <summary>
/// A Postman v2.1 collection with one request per operation of the public OpenAPI document (its examples), variables
/// <c>baseUrl</c> and <c>apiKey</c>, and a collection test that every answer is 200 — so <c>newman run</c> checks a deployment end to end.
/// </summary>
internal static class PostmanWriter
{
    private const string SchemaUrl = "https://schema.getpostman.com/json/collection/v2.1.0/collection.json";

    public static JsonObject Collection(JsonObject document, string baseUrl)
    {
        var folders = new JsonArray();
        foreach (var group in DocumentOperation.All(document).GroupBy(r => r.Tag))
        {
            folders.Add(new JsonObject
            {
                ["name"] = group.Key,
                ["item"] = new JsonArray([.. group.Select(r => (JsonNode)Item(r))]),
            });
        }
        return new JsonObject
        {
            ["info"] = new JsonObject
            {
                ["_postman_id"] = "5f0e6c1e-6b7a-4d33-9a53-6e6578526c61",
                ["name"] = "NexRelay API",
                ["description"] = ApiDocTransformers.Summary + " Set apiKey to a NexRelay key (nrk_…); baseUrl is the gateway.",
                ["schema"] = SchemaUrl,
            },
            ["auth"] = new JsonObject
            {
                ["type"] = "bearer",
                ["bearer"] = new JsonArray(new JsonObject { ["key"] = "token", ["value"] = "{{apiKey}}", ["type"] = "string" }),
            },
            ["event"] = new JsonArray(Script("test",
                "const expected = JSON.parse(pm.variables.get('expectedStatuses') || '[200]');",
                "pm.test('status is ' + expected.join(' or '), function () { pm.expect(expected).to.include(pm.response.code); });",
                // The first relayed request's id is what the log-by-id request reads back.
                "if (pm.request.method === 'POST' && pm.response.code === 200 && pm.response.headers.has('x-request-id') && !pm.collectionVariables.get('requestId')) {",
                "  pm.collectionVariables.set('requestId', pm.response.headers.get('x-request-id'));",
                "}")),
            ["variable"] = new JsonArray(
                Variable("baseUrl", baseUrl), Variable("apiKey", ""), Variable("requestId", "")),
            ["item"] = folders,
        };
    }

    private static JsonObject Item(DocumentOperation route)
    {
        // A stored response's routes read (or delete) one the pre-request script below has just created.
        var storedResponse = route.Path.Contains("/responses/{id}", StringComparison.Ordinal);
        var path = route.Path
            .Replace("/responses/{id}", "/responses/{{responseId}}", StringComparison.Ordinal)
            .Replace("{id}", "gpt-5.4", StringComparison.Ordinal)
            .Replace("{model}", "gemini-2.5-flash", StringComparison.Ordinal)
            .Replace("{request_id}", "{{requestId}}", StringComparison.Ordinal);
        var url = new JsonObject
        {
            ["raw"] = "{{baseUrl}}" + path + (route.ExampleQuery is { } q ? "?" + q : ""),
            ["host"] = new JsonArray("{{baseUrl}}"),
            ["path"] = new JsonArray([.. path.Trim('/').Split('/').Select(s => (JsonNode)s)]),
        };
        if (route.ExampleQuery is { } query)
        {
            url["query"] = new JsonArray([.. query.Split('&').Select(p => p.Split('=', 2)).Select(p => (JsonNode)new JsonObject { ["key"] = p[0], ["value"] = p[1] })]);
        }
        var request = new JsonObject
        {
            ["method"] = route.Method,
            ["header"] = new JsonArray(),
            ["url"] = url,
            ["description"] = route.Description,
        };
        if (route.Example is { } body)
        {
            request["header"]!.AsArray().Add(new JsonObject { ["key"] = "Content-Type", ["value"] = "application/json" });
            request["body"] = new JsonObject
            {
                ["mode"] = "raw",
                ["raw"] = body.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }),
                ["options"] = new JsonObject { ["raw"] = new JsonObject { ["language"] = "json" } },
            };
        }
        var item = new JsonObject { ["name"] = $"{route.Method} {route.Path}", ["request"] = request };
        var scripts = new JsonArray();
        // What the example gets from a gateway as ./run.sh starts it, where that is not only success (a code that does not exist).
        var statuses = PublicApiDocs.ExampleStatuses(route.Operation["operationId"]?.GetValue<string>());
        scripts.Add(Script("prerequest", $"pm.variables.set('expectedStatuses', '[{string.Join(',', statuses)}]');"));
        if (storedResponse)
        {
            scripts.Add(Script("prerequest",
                "pm.sendRequest({ url: pm.variables.replaceIn('{{baseUrl}}/api/v1/responses'), method: 'POST',",
                "  header: { Authorization: 'Bearer ' + pm.variables.get('apiKey'), 'Content-Type': 'application/json' },",
                "  body: { mode: 'raw', raw: JSON.stringify({ model: 'gpt-5.4', input: 'Say hello.', max_output_tokens: 8 }) } },",
                "  function (err, res) { if (!err && res.code === 200) pm.variables.set('responseId', res.json().id); });"));
        }
        if (route.Path.Contains("{request_id}", StringComparison.Ordinal))
        {
            // Logs are written asynchronously: wait (up to 20 s) until the request's row is there.
            scripts.Add(Script("prerequest",
                "const deadline = Date.now() + 20000;",
                "const url = pm.variables.replaceIn('{{baseUrl}}/api/v1/logs/{{requestId}}');",
                "function poll() {",
                "  pm.sendRequest({ url: url, method: 'GET', header: { Authorization: 'Bearer ' + pm.variables.get('apiKey') } }, function (err, res) {",
                "    if ((err || res.code !== 200) && Date.now() < deadline) setTimeout(poll, 250);",
                "  });",
                "}",
                "poll();"));
        }
        item["event"] = scripts;
        return item;
    }

    private static JsonObject Script(string listen, params string[] lines) => new()
    {
        ["listen"] = listen,
        ["script"] = new JsonObject { ["type"] = "text/javascript", ["exec"] = new JsonArray([.. lines.Select(l => (JsonNode)l)]) },
    };

    private static JsonObject Variable(string key, string value) => new() { ["key"] = key, ["value"] = value, ["type"] = "string" };
}
