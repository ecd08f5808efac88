using NexRelay.Logging.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddLoggingServices();

var app = builder.Build();
app.MapLoggingApi();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
