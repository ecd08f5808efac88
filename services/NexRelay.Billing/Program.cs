using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Data;
using NexRelay.Billing.Extensions;

// The migration step (Kubernetes Job: the same image with --migrate and a user that may change the schema).
if (SchemaMigrationExtensions.IsMigrationRun(args))
{
    await SchemaMigrationExtensions.RunMigrationAsync(args, ResourceNames.BillingDb, typeof(Program).Assembly);
    return;
}

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddBillingServices();

var app = builder.Build();
app.MapBillingApi();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
