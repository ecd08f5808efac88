using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using static NexRelay.Edge.Translation.RequestReader;

namespace NexRelay.Edge.Translation.OpenAI;

/// <summary>
/// The Responses API's tools in the neutral model, both ways. Function tools are functions. A <c>custom</c> (freeform) tool
/// becomes a function with one string parameter, <c>input</c>, its text format or grammar stated in the description; its call's
/// arguments are unwrapped back to the raw text. A <c>namespace</c> groups functions and custom tools under one name: its
/// members are flattened to names every upstream accepts (Anthropic and Gemini allow letters, digits, <c>_</c> and <c>-</c>, at
/// most 64) and written back as OpenAI does, the namespace beside the member's name. Hosted tools have no neutral form and
/// are listed in <see cref="ChatRequest.UntranslatedTools"/>. On pass-through none of this applies: the body goes as sent.
/// </summary>
internal static class ResponsesTools
{
    private const int MaxNameLength = 64;
    private const string InputParameter = "input";

    /// <summary>Hosted tools OpenAI bills per call, container or image, beyond tokens: the catalog prices none of them.</summary>
    public static bool BilledPerCall(string type) =>
        type.StartsWith("web_search", StringComparison.Ordinal)
        || type is "file_search" or "code_interpreter" or "image_generation" or "computer_use_preview" or "computer" or "mcp";

    /// <summary>Reads <c>tools</c> into <paramref name="request"/>; returns the neutral name of each client (namespace, name).</summary>
    public static Dictionary<(string Namespace, string Name), string> Parse(JsonArray tools, ChatRequest request)
    {
        var names = new Dictionary<(string, string), string>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < tools.Count; i++)
        {
            var p = $"tools[{i}]";
            var tool = AsObject(tools[i], p);
            var type = RequiredString(tool, "type", $"{p}.type");
            switch (type)
            {
                case "function" or "custom":
                    Add(tool, null, p, type == "custom");
                    break;
                case "namespace":
                {
                    var ns = RequiredString(tool, "name", $"{p}.name");
                    var members = RequiredArray(tool, "tools", $"{p}.tools");
                    for (var j = 0; j < members.Count; j++)
                    {
                        var member = AsObject(members[j], $"{p}.tools[{j}]");
                        var memberType = RequiredString(member, "type", $"{p}.tools[{j}].type");
                        if (memberType is not ("function" or "custom"))
                        {
                            throw new RequestValidationException(
                                $"Invalid value for '{p}.tools[{j}].type': '{memberType}'. A namespace holds 'function' and 'custom' tools.", $"{p}.tools[{j}].type");
                        }
                        Add(member, ns, $"{p}.tools[{j}]", memberType == "custom");
                    }
                    break;
                }
                default:
                    request.UntranslatedTools.Add(new UntranslatedTool(type, BilledPerCall(type)));
                    break;
            }
        }
        return names;

        void Add(JsonObject tool, string? ns, string p, bool freeform)
        {
            var name = RequiredString(tool, "name", $"{p}.name");
            var description = OptionalString(tool, "description", $"{p}.description");
            var neutral = Unique(NeutralName(ns, name), used);
            names[(ns ?? "", name)] = neutral;
            var client = ns is null && !freeform && neutral == name ? null : new ClientToolName(ns, name, freeform);
            request.Tools.Add(freeform
                ? new ToolDefinition(neutral, FreeformDescription(description, OptionalObject(tool, "format", $"{p}.format")), FreeformSchema()) { Client = client }
                : new ToolDefinition(neutral, description, OptionalObject(tool, "parameters", $"{p}.parameters")?.DeepClone()) { Client = client });
        }
    }

    /// <summary>The neutral name of a client tool (namespace members as <c>ns__name</c>), made acceptable to every upstream.</summary>
    public static string NeutralName(string? ns, string name)
    {
        var flat = ns is null ? name : ns + "__" + name;
        var builder = new StringBuilder(flat.Length);
        foreach (var c in flat) builder.Append(char.IsAsciiLetterOrDigit(c) || c is '_' or '-' ? c : '_');
        if (builder.Length == 0 || !(char.IsAsciiLetter(builder[0]) || builder[0] == '_')) builder.Insert(0, '_');
        if (builder.Length <= MaxNameLength) return builder.ToString();
        // Too long: a prefix and a hash of the whole, so two long names sharing a prefix stay apart.
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(flat)))[..8];
        return builder.ToString(0, MaxNameLength - 9) + "_" + hash;
    }

    private static string Unique(string name, HashSet<string> used)
    {
        if (used.Add(name)) return name;
        for (var n = 2; ; n++)
        {
            var suffix = "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var candidate = (name.Length + suffix.Length > MaxNameLength ? name[..(MaxNameLength - suffix.Length)] : name) + suffix;
            if (used.Add(candidate)) return candidate;
        }
    }

    private static JsonObject FreeformSchema() => new()
    {
        ["type"] = "object",
        ["properties"] = new JsonObject
        {
            [InputParameter] = new JsonObject { ["type"] = "string", ["description"] = "The tool's whole input, as raw text (not JSON)." },
        },
        ["required"] = new JsonArray(InputParameter),
        ["additionalProperties"] = false,
    };

    private static string FreeformDescription(string? description, JsonObject? format)
    {
        var text = new StringBuilder(description ?? "");
        if (text.Length > 0) text.Append("\n\n");
        text.Append("This tool takes free-form text: put its whole input, exactly as the tool expects it, in the string parameter `input`.");
        if (format is not null && Lenient.Str(format["type"]) == "grammar" && Lenient.Str(format["definition"]) is { Length: > 0 } definition)
        {
            text.Append("\nThe input must match this ").Append(Lenient.Str(format["syntax"]) ?? "").Append(" grammar:\n").Append(definition);
        }
        return text.ToString();
    }

    /// <summary>A freeform call's raw input as the neutral (function) arguments.</summary>
    public static string WrapInput(string input) => new JsonObject { [InputParameter] = input }.ToJsonString();

    /// <summary>The raw input inside a freeform call's arguments; arguments that are not <c>{"input": "…"}</c> are returned as they are.</summary>
    public static string UnwrapInput(string arguments)
    {
        try
        {
            return JsonNode.Parse(arguments) is JsonObject o && o[InputParameter] is JsonValue v && v.TryGetValue<string>(out var input) ? input : arguments;
        }
        catch (JsonException)
        {
            return arguments;
        }
    }

    /// <summary>The client identity of each renamed or freeform tool, by neutral name (what the writers need to write calls back).</summary>
    public static Dictionary<string, ClientToolName> ClientNames(ChatRequest? request)
    {
        var names = new Dictionary<string, ClientToolName>(StringComparer.Ordinal);
        if (request is null) return names;
        foreach (var tool in request.Tools)
        {
            if (tool.Client is { } client) names[tool.Name] = client;
        }
        return names;
    }
}
