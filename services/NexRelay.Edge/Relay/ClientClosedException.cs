namespace NexRelay.Edge.Relay;

/// <summary>The client left before its request could be read: logged 499 client_closed_request at information level, not as a failure.</summary>
internal sealed class ClientClosedException(string message, Exception innerException) : Exception(message, innerException);
