using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using NexRelay.Testing;

namespace NexRelay.SimulatedProvider.Tests;

/// <summary>The simulator on a real loopback port with default settings (it needs no database or broker).</summary>
public class SimulatorFixture : IDisposable
{
    public SimulatorFixture() : this(new Dictionary<string, string?>()) { }

    protected SimulatorFixture(IDictionary<string, string?> settings)
    {
        Factory = Start(settings);
        // A plain client on the port Kestrel really bound (the factory's own client may report port 0).
        Client = new HttpClient { BaseAddress = ServerAddress(Factory), Timeout = TimeSpan.FromSeconds(30) };
    }

    private static ServiceFactory<Program> Start(IDictionary<string, string?> settings)
    {
        for (var attempt = 1; ; attempt++)
        {
            var factory = new ServiceFactory<Program>(settings);
            try
            {
                // Real Kestrel must be chosen before the host is built (ServiceFactory asks for it too late, leaving a TestServer).
                factory.UseKestrel(0);
                factory.StartServer();
                return factory;
            }
            catch (InvalidOperationException e) when (attempt < 5 && e.Message.Contains("cannot be modified after the server has started", StringComparison.Ordinal))
            {
                // WebApplicationFactory sometimes sets the port after a minimal-hosting app has already started; start again.
                factory.Dispose();
            }
        }
    }

    private static Uri ServerAddress(ServiceFactory<Program> factory)
    {
        // The bound port can show up a moment after start; wait for it briefly rather than fail the whole class.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        ICollection<string> addresses;
        string? address;
        while (true)
        {
            addresses = factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
            address = addresses.FirstOrDefault(a => !a.EndsWith(":0", StringComparison.Ordinal));
            if (address is not null || DateTime.UtcNow > deadline) break;
            Thread.Sleep(50);
        }
        if (address is null) throw new InvalidOperationException("Kestrel reported no bound address: " + string.Join(",", addresses));
        return new Uri(address.Replace("[::]", "127.0.0.1").Replace("0.0.0.0", "127.0.0.1").Replace("localhost", "127.0.0.1"));
    }

    public ServiceFactory<Program> Factory { get; }
    public HttpClient Client { get; }

    public Uri BaseAddress => Client.BaseAddress!;

    public Task<HttpResponseMessage> PostAsync(string path, string json, params (string Name, string Value)[] headers) =>
        PostAsync(path, json, "sk-test", headers);

    public Task<HttpResponseMessage> PostAsync(string path, string json, string? bearerKey, params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearerKey is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerKey);
        foreach (var (name, value) in headers) request.Headers.TryAddWithoutValidation(name, value);
        return Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    public async Task<(HttpResponseMessage Response, JsonElement Body)> PostJsonAsync(string path, string json, params (string Name, string Value)[] headers)
    {
        var response = await PostAsync(path, json, headers);
        return (response, await ReadJsonAsync(response));
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        using var document = JsonDocument.Parse(text);
        return document.RootElement.Clone();
    }

    public void Dispose()
    {
        Client.Dispose();
        Factory.Dispose();
    }
}

/// <summary>One server-sent event as received, <paramref name="At"/> after the reader started (just after the headers).</summary>
public sealed record SseEvent(string? Name, string Data, TimeSpan At = default)
{
    public JsonElement Json => JsonDocument.Parse(Data).RootElement.Clone();
}

/// <summary>Reads a stream of server-sent events; a connection dropped mid-stream ends it with <c>Completed = false</c>.</summary>
public static class Sse
{
    public static async Task<(List<SseEvent> Events, bool Completed)> ReadAsync(HttpResponseMessage response)
    {
        var events = new List<SseEvent>();
        string? name = null;
        var data = new StringBuilder();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            await using var stream = await response.Content.ReadAsStreamAsync();
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync() is { } line)
            {
                if (line.Length == 0)
                {
                    if (data.Length > 0) events.Add(new SseEvent(name, data.ToString(), clock.Elapsed));
                    name = null;
                    data.Clear();
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal)) name = line[6..].Trim();
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    if (data.Length > 0) data.Append('\n');
                    data.Append(line.AsSpan(5).TrimStart(' '));
                }
            }
            if (data.Length > 0) events.Add(new SseEvent(name, data.ToString(), clock.Elapsed));
            return (events, true);
        }
        catch (Exception e) when (e is IOException or HttpRequestException)
        {
            return (events, false);
        }
    }
}
