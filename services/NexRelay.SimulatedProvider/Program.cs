using NexRelay.SimulatedProvider.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddSimulatorServices();

var app = builder.Build();
app.MapSimulatorApi();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
