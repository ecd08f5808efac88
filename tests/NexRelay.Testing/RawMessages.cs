using System.Text;
using RabbitMQ.Client;

namespace NexRelay.Testing;

/// <summary>
/// Messages written straight to a RabbitMQ queue, bypassing MassTransit's serializer: how a test delivers what a buggy or
/// foreign producer would (a malformed event, a body that is not JSON at all).
/// </summary>
public static class RawMessages
{
    public const string MassTransitJson = "application/vnd.masstransit+json";

    /// <summary>A MassTransit envelope around <paramref name="messageJson"/>, of the given message type URN.</summary>
    public static string Envelope(string messageTypeUrn, string messageJson) =>
        $$"""{"messageId":"{{Guid.NewGuid()}}","messageType":["{{messageTypeUrn}}"],"message":{{messageJson}}}""";

    /// <summary>Publishes <paramref name="body"/> to the default exchange, which routes it to the queue of that name.</summary>
    public static async Task SendAsync(string queue, string body, string contentType = MassTransitJson)
    {
        var factory = new ConnectionFactory { Uri = new Uri(TestInfrastructure.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true,
            publisherConfirmationTrackingEnabled: true));
        var properties = new BasicProperties { ContentType = contentType, Persistent = true, MessageId = Guid.NewGuid().ToString() };
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, Encoding.UTF8.GetBytes(body));
    }
}
