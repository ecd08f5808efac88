using NexRelay.Contracts.Keys;
using NexRelay.Edge.Errors;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Relay;

/// <summary>A route that writes its own refusals, to record them: the relay publishes a refused real key's request for its owner.</summary>
internal interface IRefusalRecorder
{
    Task RefuseAsync(HttpContext http, IClientFormat format, Admission refused);
}

/// <summary>
/// Admission in one place: a route marked <see cref="RequireKey{TBuilder}"/> gets the caller's key extracted, resolved and
/// checked (<see cref="KeyGate.AuthenticateAsync"/>) before its handler runs; a refusal is written in the route's format
/// (<see cref="RouteFormat"/>), and the handler reads the admitted key with <see cref="AdmittedKey"/>.
/// <para>
/// Not an endpoint filter: a filter allocates an invocation context and an async state machine per request, on the hot path.
/// This wraps the endpoint's request delegate once, at start; a key found in memory (the common case) is admitted
/// synchronously and costs no allocation. The admitted key and the route's format travel as features keyed by their own
/// types (both are shared instances, so setting them allocates nothing per request).
/// </para>
/// </summary>
internal static partial class KeyAdmission
{
    /// <param name="recordRefusals">Refusals go to the relay (<see cref="RelayHandler"/>), which publishes those of real keys.</param>
    public static TBuilder RequireKey<TBuilder>(this TBuilder builder, bool recordRefusals = false) where TBuilder : IEndpointConventionBuilder
    {
        // Finally: every convention (the route's format included) has run and the handler's delegate is built.
        builder.Finally(endpoint =>
        {
            var services = endpoint.ApplicationServices;
            var format = endpoint.Metadata.OfType<RouteFormat>().LastOrDefault()
                         ?? throw new InvalidOperationException($"{endpoint.DisplayName} requires a key but declares no format (Speaks).");
            var gate = services.GetRequiredService<KeyGate>();
            var recorder = recordRefusals ? services.GetRequiredService<RelayHandler>() : null;
            var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(KeyAdmission));
            var handler = endpoint.RequestDelegate ?? throw new InvalidOperationException($"{endpoint.DisplayName} has no handler.");
            endpoint.RequestDelegate = http => AdmitAsync(http, format.For(http.Request), gate, recorder, logger, handler);
        });
        return builder;
    }

    /// <summary>The key admitted for this request (only on routes that <see cref="RequireKey{TBuilder}"/>).</summary>
    public static KeySnapshot AdmittedKey(this HttpContext http) =>
        http.Features.Get<KeySnapshot>() ?? throw new InvalidOperationException("No key was admitted for this route (RequireKey).");

    private static Task AdmitAsync(HttpContext http, IClientFormat format, KeyGate gate, IRefusalRecorder? recorder, ILogger logger,
        RequestDelegate handler)
    {
        http.Features.Set(format);
        ValueTask<Admission> pending;
        try
        {
            pending = gate.AuthenticateAsync(http.Request, http.RequestAborted);
        }
        catch (Exception ex)
        {
            return FailedAsync(http, format, recorder, logger, ex);
        }
        // A key found in memory: no await, so no state machine; the handler's own task is returned as it is.
        if (pending.IsCompletedSuccessfully) return Continue(http, pending.Result, format, recorder, handler);
        return AwaitAsync(http, pending, format, recorder, logger, handler);
    }

    private static async Task AwaitAsync(HttpContext http, ValueTask<Admission> pending, IClientFormat format, IRefusalRecorder? recorder,
        ILogger logger, RequestDelegate handler)
    {
        Admission admission;
        try
        {
            admission = await pending;
        }
        catch (Exception ex)
        {
            await FailedAsync(http, format, recorder, logger, ex);
            return;
        }
        await Continue(http, admission, format, recorder, handler);
    }

    private static Task Continue(HttpContext http, Admission admission, IClientFormat format, IRefusalRecorder? recorder, RequestDelegate handler)
    {
        if (admission.Error is null)
        {
            http.Features.Set(admission.Key!);
            return handler(http);
        }
        return recorder is not null ? recorder.RefuseAsync(http, format, admission) : ErrorWriters.WriteAsync(http, format, admission.Error);
    }

    /// <summary>
    /// Authentication itself failed unexpectedly: a client that left needs no answer; otherwise a 500 in the route's format, through
    /// the recorder when there is one (no key was admitted, so nothing is published).
    /// </summary>
    private static Task FailedAsync(HttpContext http, IClientFormat format, IRefusalRecorder? recorder, ILogger logger, Exception ex)
    {
        if (ex is OperationCanceledException && http.RequestAborted.IsCancellationRequested) return Task.CompletedTask;
        LogUnexpected(logger, ex);
        var error = new EdgeError(ErrorKind.UpstreamError, "The gateway failed to process the request.", "internal_error", StatusOverride: 500);
        if (http.Response.HasStarted) return Task.CompletedTask;
        return recorder is not null
            ? recorder.RefuseAsync(http, format, new Admission(null, error, false, null))
            : ErrorWriters.WriteAsync(http, format, error);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Unexpected failure while authenticating")]
    private static partial void LogUnexpected(ILogger logger, Exception ex);
}
