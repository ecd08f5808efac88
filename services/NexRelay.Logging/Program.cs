using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Data;
using NexRelay.Logging.Extensions;

// The migration step (Kubernetes Job: the same image with --migrate and a user that may change the schema).
if (SchemaMigrationExtensions.IsMigrationRun(args))
{
    await SchemaMigrationExtensions.RunMigrationAsync(args, ResourceNames.LoggingDb, typeof(Program).Assembly);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddLoggingServices();

var app = builder.Build();
app.MapLoggingApi();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
