using Microsoft.FluentUI.AspNetCore.Components;
using NexRelay.Console;
using NexRelay.Console.Components;
using NexRelay.Console.Downloads;
using NexRelay.Console.Edge;
using NexRelay.Console.Sessions;
using NexRelay.ServiceDefaults;

// The NexRelay console: server-rendered pages over the edge's APIs (docs/architecture.md, "Console").
var builder = WebApplication.CreateBuilder(args);
// The stylesheets and scripts of this project and of Fluent UI, served from the build output whatever the environment (the
// AppHost runs the services from their bin folders, not always as Development). A published image has them in wwwroot
// and no manifest, where this does nothing.
builder.WebHost.UseStaticWebAssets();
builder.AddServiceDefaults();
builder.AddRedisClient(ResourceNames.Redis);
builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
builder.Services.AddHttpContextAccessor();
builder.Services.AddTransient<ClientAddressHandler>();
builder.Services.AddHttpClient<EdgeApi>((sp, client) =>
        client.BaseAddress = new Uri(sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<ConsoleOptions>>().Value.EdgeUrl))
    .AddHttpMessageHandler<ClientAddressHandler>();
builder.Services.AddConsoleSessions();
builder.Services.AddRazorComponents();
builder.Services.AddFluentUIComponents();

var app = builder.Build();
// Never a stack trace in a page, whatever the environment (./run.sh runs in Development).
app.UseExceptionHandler("/error", createScopeForErrors: true);
app.UseStatusCodePagesWithReExecute("/not-found", createScopeForStatusCodePages: true);
app.Use(async (context, next) =>
{
    var headers = context.Response.Headers;
    headers.XContentTypeOptions = "nosniff";
    headers.XFrameOptions = "DENY";
    headers["Referrer-Policy"] = "same-origin";
    await next();
});
app.UseAuthentication();
app.UseAuthorization();
app.UseAntiforgery();
app.MapStaticAssets();
app.MapRazorComponents<App>();
app.MapDownloads();
app.MapSignOut();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
