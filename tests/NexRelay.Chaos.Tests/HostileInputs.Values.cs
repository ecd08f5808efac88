namespace NexRelay.Chaos.Tests;

/// <summary>The hostile values the families draw from.</summary>
public static partial class HostileInputs
{
    /// <summary>Numbers no output limit may be: negative, zero, fractional, past int32, past double, or not numbers at all.</summary>
    private static readonly string[] BadLimits =
    [
        "-1", "0", "-0", "1.5", "16.000001", "-0.5", "1e-400", "\"16\"", "\"\"", "true", "[]", "{}", "[16]", "1e12", "2147483648",
        "-2147483649", "9223372036854775808", "1e400", "-1e400", "1.7976931348623157e309", "\"Infinity\"", "\"NaN\"", "\"1\\u00006\"",
    ];

    /// <summary>Values of the wrong type or out of range, per format: (JSON path, raw value).</summary>
    private static readonly Dictionary<Envelope, (string[] Path, string Raw)[]> WrongTypes = new()
    {
        [Envelope.OpenAI] =
        [
            (["model"], "5"), (["model"], "[]"), (["model"], "{}"), (["model"], "true"),
            (["messages"], "\"hi\""), (["messages"], "5"), (["messages"], "{}"), (["messages"], "[]"), (["messages"], "[1]"), (["messages"], "[null]"),
            (["messages"], "[\"hi\"]"), (["messages"], "[[]]"), (["messages"], "[{\"role\":\"wizard\",\"content\":\"x\"}]"),
            (["messages"], "[{\"role\":5,\"content\":\"x\"}]"), (["messages"], "[{\"content\":\"x\"}]"), (["messages"], "[{\"role\":\"user\",\"content\":42}]"),
            (["messages"], "[{\"role\":\"user\",\"content\":true}]"), (["messages"], "[{\"role\":\"user\",\"content\":{}}]"),
            (["messages"], "[{\"role\":\"user\",\"content\":[1]}]"), (["messages"], "[{\"role\":\"user\",\"content\":[{\"type\":\"nope\"}]}]"),
            (["messages"], "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]"),
            (["messages"], "[{\"role\":\"user\",\"content\":[{\"type\":\"image_url\",\"image_url\":5}]}]"),
            (["messages"], "[{\"role\":\"user\\u0000\",\"content\":\"x\"}]"),
            (["messages"], "[{\"role\":\"tool\",\"content\":\"x\"}]"),
            (["temperature"], "\"hot\""), (["temperature"], "-1"), (["temperature"], "2.5"), (["temperature"], "[]"), (["top_p"], "1.5"),
            (["top_p"], "\"x\""), (["stream"], "\"yes\""), (["stream"], "1"), (["stream"], "[]"), (["n"], "2"), (["n"], "\"x\""), (["stop"], "5"),
            (["stop"], "[5]"), (["tools"], "\"x\""), (["tools"], "5"), (["tools"], "[1]"), (["tools"], "[{\"type\":\"function\"}]"),
            (["tools"], "[{\"type\":\"function\",\"function\":{\"name\":5}}]"), (["tools"], "[{\"type\":\"retrieval\"}]"),
            (["stream_options"], "5"), (["user"], "5"), (["service_tier"], "\"priority\""), (["prediction"], "{\"type\":\"content\",\"content\":\"x\"}"),
            (["modalities"], "[\"audio\"]"), (["web_search_options"], "{}"), (["functions"], "[{\"name\":\"f\"}]"),
        ],
        [Envelope.Anthropic] =
        [
            (["model"], "5"), (["model"], "[]"), (["model"], "{}"),
            (["messages"], "\"hi\""), (["messages"], "5"), (["messages"], "{}"), (["messages"], "[]"), (["messages"], "[1]"), (["messages"], "[null]"),
            (["messages"], "[{\"role\":\"wizard\",\"content\":\"x\"}]"), (["messages"], "[{\"role\":5,\"content\":\"x\"}]"),
            (["messages"], "[{\"content\":\"x\"}]"), (["messages"], "[{\"role\":\"user\",\"content\":42}]"), (["messages"], "[{\"role\":\"user\",\"content\":{}}]"),
            (["messages"], "[{\"role\":\"user\",\"content\":[1]}]"), (["messages"], "[{\"role\":\"user\",\"content\":[{\"type\":\"nope\"}]}]"),
            (["messages"], "[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":5}]}]"),
            (["messages"], "[{\"role\":\"user\",\"content\":[{\"type\":\"image\",\"source\":5}]}]"),
            (["messages"], "[{\"role\":\"user\",\"content\":[{\"type\":\"document\",\"source\":{\"type\":\"text\",\"data\":\"x\"}}]}]"),
            (["system"], "5"), (["system"], "{}"), (["system"], "[1]"), (["temperature"], "\"hot\""), (["temperature"], "-1"), (["top_k"], "\"x\""),
            (["stream"], "\"yes\""), (["tools"], "\"x\""), (["tools"], "[1]"), (["tools"], "[{\"name\":5}]"),
            (["tools"], "[{\"type\":\"web_search_20250305\",\"name\":\"web_search\"}]"), (["mcp_servers"], "[{\"type\":\"url\",\"url\":\"https://mcp.example\",\"name\":\"x\"}]"), (["container"], "\"c\""),
            (["service_tier"], "\"priority\""), (["speed"], "\"fast\""),
        ],
        [Envelope.Gemini] =
        [
            (["contents"], "\"x\""), (["contents"], "5"), (["contents"], "{}"), (["contents"], "[]"), (["contents"], "[1]"), (["contents"], "[{\"parts\":\"x\"}]"),
            (["contents"], "[{\"parts\":[{\"text\":5}]}]"), (["contents"], "[{\"role\":\"wizard\",\"parts\":[{\"text\":\"x\"}]}]"),
            (["contents"], "[{\"parts\":[{\"bogus\":1}]}]"), (["contents"], "[{\"role\":\"user\"}]"),
            (["contents"], "[{\"parts\":[{\"inlineData\":{\"mimeType\":\"video/mp4\",\"data\":\"AA==\"}}]}]"),
            (["generationConfig"], "\"x\""), (["generationConfig"], "5"), (["generationConfig"], "[]"),
            (["generationConfig"], "{\"temperature\":\"hot\"}"), (["generationConfig"], "{\"candidateCount\":2}"),
            (["generationConfig"], "{\"responseModalities\":[\"AUDIO\"]}"), (["tools"], "[{\"googleSearch\":{}}]"), (["tools"], "\"x\""),
            (["cachedContent"], "\"cachedContents/x\""), (["systemInstruction"], "5"),
            (["toolConfig"], "{\"functionCallingConfig\":{\"mode\":\"SOMETIMES\"}}"),
        ],
    };

    /// <summary>Model names that must never reach a catalog lookup as something else: unknown, path-like, control characters, huge.</summary>
    private static readonly string[] HostileModels =
    [
        "no-such-model", "", " ", "gpt-5.4 ", "GPT-5.4", "../../admin/v1/keys", "gpt-5.4/../../x", "%2e%2e%2fadmin", "gpt-5.4\u0000", "\u0000",
        "gpt-5.4\r\nx-injected: 1", "claude\u202Esonnet", "models/../../v1/keys", "*", "gpt-*", "${jndi:ldap://x}", "'; DROP TABLE request_logs; --",
        new string('m', 100_000),
    ];

    private static readonly string[] UnknownPaths =
    [
        "/", "/api", "/api/v1", "/api/v1/", "/api/v1/chat", "/api/v1/chat/completion", "/api/v1/chat/completions/x", "/api/v2/chat/completions",
        "/api/v1/embeddings", "/api/v1/completions", "/api/v1/images/generations", "/api/v1/audio/speech", "/api/v1/responses/resp_1/cancel",
        "/v1/message", "/v1/messages/x", "/v1/messages/count_tokens/x", "/v1/messages/batches", "/v1/complete", "/api/v1/messages/x",
        "/v1beta", "/v1beta/model", "/v1beta/models/gemini-2.5-flash/extra:generateContent", "/v1beta/tunedModels/x:generateContent",
        "/v1beta/files", "/v1beta/cachedContents", "/%2e%2e/%2e%2e/etc/passwd", "/wp-login.php",
        "/.env", "/api/v1/chat/completions%2Fx", "/v1beta/models/gemini-2.5-flash:generate", "/v1beta/models/gemini-2.5-flash:embedContent",
        "/v1beta/models/gemini-2.5-flash:", "/v1beta/models/:generateContent",
    ];

    /// <summary>The public GET routes (wrong methods are tried on them too).</summary>
    private static readonly string[] GetRoutes = ["/api/v1/models", "/v1beta/models", "/api/v1/models/gpt-5.4", "/v1beta/models/gemini-2.5-flash"];

    /// <summary>Responses has fields of its own (and ignores Chat's, as it ignores any field it does not know).</summary>
    private static readonly (string[] Path, string Raw)[] ResponsesWrongTypes =
    [
        (["model"], "5"), (["model"], "[]"), (["input"], "5"), (["input"], "{}"), (["input"], "[]"), (["input"], "[1]"), (["input"], "true"),
        (["input"], "[[]]"), (["input"], "[{\"role\":\"wizard\",\"content\":\"x\"}]"), (["input"], "[{\"type\":\"input_file\",\"file_id\":\"f\"}]"),
        (["instructions"], "5"), (["temperature"], "\"hot\""), (["temperature"], "-1"), (["temperature"], "2.5"), (["top_p"], "1.5"),
        (["stream"], "\"yes\""), (["tools"], "\"x\""), (["tools"], "[5]"), (["tools"], "[{\"type\":\"function\"}]"),
        // Hosted tools (web_search…) are not wrong: they are dropped and named in x-nexrelay-dropped-tools (ResponsesToolTranslationTests).
        (["tools"], "[{\"type\":\"custom\"}]"), (["tools"], "[{\"type\":\"namespace\",\"name\":\"ns\",\"tools\":[{\"type\":\"web_search\"}]}]"),
        (["tools"], "[{\"type\":\"function\",\"name\":5}]"), (["previous_response_id"], "\"resp_1\""),
        (["conversation"], "\"conv_1\""), (["service_tier"], "\"flex\""), (["tool_choice"], "5"),
    ];
}
