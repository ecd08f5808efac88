using NexRelay.SimulatedProvider.Apis;

namespace NexRelay.SimulatedProvider.Extensions;

internal static class Extensions
{
    public static IHostApplicationBuilder AddSimulatorServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SimulatorOptions>()
            .BindConfiguration(SimulatorOptions.SectionName)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<Simulation.TagCounts>();
        builder.Services.AddSingleton<Simulation.RequestTotal>();
        // The simulator answers any size of request the gateway may relay.
        builder.Services.Configure<Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = 64 * 1024 * 1024);
        return builder;
    }

    public static WebApplication MapSimulatorApi(this WebApplication app)
    {
        app.Use(app.Services.GetRequiredService<Simulation.RequestTotal>().CountAsync);
        // Knobs given in the path are read before routing, which therefore runs after the rewrite.
        app.Use(Simulation.KnobPath.RewriteAsync);
        app.UseRouting();
        app.MapOpenAIChatApi();
        app.MapOpenAIResponsesApi();
        app.MapAnthropicApi();
        app.MapGeminiApi();
        app.MapModelsApi();
        app.MapSimApi();
        app.MapWebhookReceiverApi();
        return app;
    }
}
