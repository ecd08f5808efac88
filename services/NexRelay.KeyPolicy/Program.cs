using NexRelay.KeyPolicy.Extensions;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddKeyPolicyServices();

var app = builder.Build();
app.MapKeyPolicyApi();
app.MapDefaultEndpoints();
app.Run();

public partial class Program;
