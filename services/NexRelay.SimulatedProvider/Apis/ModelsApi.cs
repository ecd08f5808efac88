using System.Text.Json;
using NexRelay.SimulatedProvider.Simulation;

namespace NexRelay.SimulatedProvider.Apis;

/// <summary><c>GET /v1/models</c> in OpenAI's list shape. The simulator serves any model name; these are examples.</summary>
internal static class ModelsApi
{
    private static readonly string[] Models = ["gpt-4o-mini", "gpt-4.1", "claude-sonnet-4-5", "gemini-2.5-flash"];

    public static IEndpointConventionBuilder MapModelsApi(this IEndpointRouteBuilder app) =>
        app.MapGet("/v1/models", ListModelsAsync).WithName("ListModels").WithTags("OpenAI");

    public static async Task ListModelsAsync(HttpContext context)
    {
        context.Response.ContentType = "application/json";
        using (var w = new Utf8JsonWriter(context.Response.BodyWriter, SseWriter.JsonOptions))
        {
            w.WriteStartObject();
            w.WriteString("object"u8, "list"u8);
            w.WriteStartArray("data"u8);
            foreach (var model in Models)
            {
                w.WriteStartObject();
                w.WriteString("id"u8, model);
                w.WriteString("object"u8, "model"u8);
                w.WriteNumber("created"u8, 1_700_000_000);
                w.WriteString("owned_by"u8, "nexrelay-simulator"u8);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
