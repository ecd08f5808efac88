using NexRelay.Billing.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddBillingServices();

var app = builder.Build();
app.MapBillingApi();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
