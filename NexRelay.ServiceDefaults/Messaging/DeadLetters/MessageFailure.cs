using System.Net.Sockets;
using Npgsql;

namespace NexRelay.ServiceDefaults.Messaging.DeadLetters;

/// <summary>
/// Tells a failure that will happen again however often it is retried (the event is at fault) from one that will pass (the
/// database, the network or a lock is). Only the first kind ever dead-letters an event; the second retries its whole batch
/// until it works.
/// </summary>
public static class MessageFailure
{
    /// <summary>
    /// Poison: the database refused the data (SQLSTATE class 22, data exception, such as a NUL character or a number out of
    /// range; 23, integrity constraint; 54, program limit, such as an index row too large), or code handling the event threw
    /// (a bad argument, format, cast or overflow, a bug that one event triggers). Everything else is transient: connection
    /// failures, timeouts, shutdowns, deadlocks and serialization failures, any other database error, since it does not name
    /// the data (a missing table is a deployment fault, and dead-lettering every event for it would be worse than waiting),
    /// and anything else Npgsql itself throws.
    /// </summary>
    public static bool IsPoison(Exception exception) => exception switch
    {
        PostgresException pg => pg.SqlState is ['2', '2', ..] or ['2', '3', ..] or ['5', '4', ..],
        NpgsqlException or TimeoutException or OperationCanceledException or IOException or SocketException => false,
        // Npgsql reports a connection out of step with the server ("Received unexpected backend message …") as a plain
        // Exception: trouble with that connection, not with the event.
        _ when exception.Source == NpgsqlAssembly => false,
        _ => true,
    };

    private static readonly string? NpgsqlAssembly = typeof(NpgsqlConnection).Assembly.GetName().Name;

    public static bool IsTransient(Exception exception) => !IsPoison(exception);

    /// <summary>What a dead letter says about its failure: the SQLSTATE and PostgreSQL's message, or the exception's type and message.</summary>
    public static string Describe(Exception exception) => exception switch
    {
        // MessageText names the constraint or the bad value; Detail would repeat the whole row, which the dead letter keeps anyway.
        PostgresException pg => $"{pg.SqlState}: {pg.MessageText}",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };
}
