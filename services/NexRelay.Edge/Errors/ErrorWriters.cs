using System.Buffers;
using System.Globalization;
using System.Text.Json;
using NexRelay.Edge.Translation;

namespace NexRelay.Edge.Errors;

/// <summary>Renders an <see cref="EdgeError"/> in the caller's own envelope: one small writer per format.</summary>
public static class ErrorWriters
{
    public static byte[] Render(ClientFormat format, EdgeError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            switch (format)
            {
                case ClientFormat.Anthropic: WriteAnthropic(json, error); break;
                case ClientFormat.Gemini: WriteGemini(json, error); break;
                default: WriteOpenAI(json, error); break;
            }
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static async Task WriteAsync(HttpContext context, ClientFormat format, EdgeError error)
    {
        var response = context.Response;
        response.StatusCode = error.Status;
        response.ContentType = "application/json";
        if (error.RetryAfter is { } wait) response.Headers.RetryAfter = EdgeError.RetrySeconds(wait).ToString(CultureInfo.InvariantCulture);
        await response.Body.WriteAsync(Render(format, error), context.RequestAborted);
    }

    /// <summary>OpenAI: <c>{"error":{"message","type","param","code"}}</c>.</summary>
    private static void WriteOpenAI(Utf8JsonWriter json, EdgeError e)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteString("message", e.Message);
        json.WriteString("type", e.Kind switch
        {
            ErrorKind.Authentication => "invalid_request_error",
            ErrorKind.InsufficientQuota => "insufficient_quota",
            ErrorKind.Permission => "permission_error",
            ErrorKind.RateLimited => "rate_limit_error",
            ErrorKind.UpstreamError or ErrorKind.UpstreamTimeout or ErrorKind.Unavailable => "server_error",
            _ => "invalid_request_error",
        });
        if (e.Param is null) json.WriteNull("param"); else json.WriteString("param", e.Param);
        json.WriteString("code", e.Code);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    /// <summary>Anthropic: <c>{"type":"error","error":{"type","message"}}</c>.</summary>
    private static void WriteAnthropic(Utf8JsonWriter json, EdgeError e)
    {
        json.WriteStartObject();
        json.WriteString("type", "error");
        json.WriteStartObject("error");
        json.WriteString("type", AnthropicType(e.Kind));
        json.WriteString("message", e.Message);
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string AnthropicType(ErrorKind kind) => kind switch
    {
        ErrorKind.Authentication => "authentication_error",
        ErrorKind.InsufficientQuota => "billing_error",
        ErrorKind.Permission => "permission_error",
        ErrorKind.NotFound => "not_found_error",
        ErrorKind.TooLarge => "request_too_large",
        ErrorKind.RateLimited => "rate_limit_error",
        ErrorKind.UpstreamTimeout => "timeout_error",
        ErrorKind.Unavailable => "overloaded_error",
        ErrorKind.UpstreamError => "api_error",
        _ => "invalid_request_error",
    };

    /// <summary>Gemini (Google API errors): <c>{"error":{"code","message","status"}}</c>.</summary>
    private static void WriteGemini(Utf8JsonWriter json, EdgeError e)
    {
        json.WriteStartObject();
        json.WriteStartObject("error");
        json.WriteNumber("code", e.Status);
        json.WriteString("message", e.Message);
        json.WriteString("status", GeminiStatus(e.Kind));
        json.WriteEndObject();
        json.WriteEndObject();
    }

    public static string GeminiStatus(ErrorKind kind) => kind switch
    {
        ErrorKind.Authentication => "UNAUTHENTICATED",
        ErrorKind.InsufficientQuota => "FAILED_PRECONDITION",
        ErrorKind.Permission => "PERMISSION_DENIED",
        ErrorKind.NotFound => "NOT_FOUND",
        ErrorKind.RateLimited => "RESOURCE_EXHAUSTED",
        ErrorKind.UpstreamTimeout => "DEADLINE_EXCEEDED",
        ErrorKind.Unavailable => "UNAVAILABLE",
        ErrorKind.UpstreamError => "INTERNAL",
        _ => "INVALID_ARGUMENT",
    };
}
