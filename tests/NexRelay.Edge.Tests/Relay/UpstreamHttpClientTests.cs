using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NexRelay.Edge.Admin;
using NexRelay.Edge.Holds;
using NexRelay.Edge.Relay;
using NexRelay.ServiceDefaults;
using NexRelay.ServiceDefaults.Internal;

namespace NexRelay.Edge.Tests.Relay;

/// <summary>What the upstream HttpClient sends a provider, read off the wire by a raw socket server.</summary>
public sealed class UpstreamHttpClientTests
{
    [Fact]
    public async Task Upstream_calls_carry_no_trace_context_while_other_clients_do()
    {
        // As the edge runs: service defaults (OpenTelemetry tracing with HttpClient instrumentation, every trace sampled).
        var builder = Host.CreateApplicationBuilder();
        builder.AddServiceDefaults();
        builder.Services.AddUpstreamHttpClient();
        builder.Services.AddHttpClient("internal");
        using var host = builder.Build();
        await host.StartAsync();
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();

        using var relay = NexRelayTelemetry.ActivitySource.StartActivity("relay");
        Assert.NotNull(relay);

        var upstream = await HeadersSentAsync(factory.CreateClient(UpstreamClient.HttpClientName));
        var internalCall = await HeadersSentAsync(factory.CreateClient("internal"));

        Assert.Contains("traceparent:", internalCall, StringComparison.OrdinalIgnoreCase); // the control: propagation is on
        Assert.DoesNotContain("traceparent:", upstream, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(relay.TraceId.ToString(), upstream, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_internal_token_goes_to_our_services_and_never_to_a_provider()
    {
        const string token = "edge-tests-internal-token-never-upstream";
        var builder = Host.CreateApplicationBuilder();
        builder.Configuration["NexRelay:InternalToken"] = token;
        builder.AddServiceDefaults();
        builder.Services.AddUpstreamHttpClient();
        builder.AddEdgeHolds(); // "billing" as the hold and lease client
        builder.Services.AddInternalServiceClients(); // "billing" again, as admin forwarding and self-service use it
        using var host = builder.Build();
        await host.StartAsync();
        var factory = host.Services.GetRequiredService<IHttpClientFactory>();

        var upstream = await HeadersSentAsync(factory.CreateClient(UpstreamClient.HttpClientName));
        foreach (var service in InternalServices.Names)
        {
            var head = await HeadersSentAsync(factory.CreateClient(service));
            Assert.Contains($"{InternalAuth.HeaderName}: {token}\r\n", head, StringComparison.OrdinalIgnoreCase);
            // Once, although "billing" is configured by both the hold client's and the admin forwarding's registrations.
            Assert.Single(head.Split("\r\n"), line => line.StartsWith(InternalAuth.HeaderName + ":", StringComparison.OrdinalIgnoreCase));
        }
        Assert.DoesNotContain(InternalAuth.HeaderName, upstream, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(token, upstream, StringComparison.Ordinal);
        await host.StopAsync();
    }

    /// <summary>Sends one POST to a one-shot local server and returns the request head exactly as it arrived.</summary>
    private static async Task<string> HeadersSentAsync(HttpClient client)
    {
        using var server = new TcpListener(IPAddress.Loopback, 0);
        server.Start();
        var port = ((IPEndPoint)server.LocalEndpoint).Port;
        var received = Task.Run(async () =>
        {
            using var socket = await server.AcceptSocketAsync();
            var head = new StringBuilder();
            var buffer = new byte[4096];
            while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None);
                if (n == 0) break;
                head.Append(Encoding.ASCII.GetString(buffer, 0, n));
            }
            await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"u8.ToArray(), SocketFlags.None);
            return head.ToString();
        });
        using var response = await client.PostAsync($"http://127.0.0.1:{port}/v1/chat/completions", new StringContent("{}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return await received.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
