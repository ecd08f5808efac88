using NexRelay.Edge.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEdgeServices();

var app = builder.Build();
app.MapEdgeApi();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
