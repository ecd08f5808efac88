using System.Text.Json.Nodes;

namespace NexRelay.Edge.Docs;

/// <summary>
/// JSON Schemas (2020-12, as OpenAPI 3.1 uses) of the bodies NexRelay reads and writes. Requests list the fields the edge
/// reads; other fields of the provider's API are accepted and passed on where the upstream speaks the same format.
/// Responses list what NexRelay writes; providers may add fields, so objects stay open.
/// </summary>
internal static class Schemas
{
    public static JsonObject Public() => Merge(PublicJson, SharedJson);

    public static JsonObject Admin() => Merge(AdminJson, SharedJson);

    private static JsonObject Merge(params string[] parts)
    {
        var all = new JsonObject();
        foreach (var part in parts)
        {
            foreach (var (name, schema) in JsonNode.Parse(part)!.AsObject()) all[name] = schema?.DeepClone();
        }
        return all;
    }

    private const string SharedJson = """
    {
      "LogEntry": {
        "type": "object",
        "description": "One request log. USD figures are numbers with up to 6 decimals.",
        "required": ["request_id", "created_at", "client_format", "route", "status", "input_tokens", "output_tokens", "cost_usd"],
        "properties": {
          "request_id": { "type": "string" },
          "created_at": { "type": "string", "format": "date-time" },
          "key_id": { "type": ["string", "null"], "format": "uuid" },
          "key_hint": { "type": ["string", "null"] },
          "wallet_id": { "type": ["string", "null"], "format": "uuid" },
          "client_format": { "type": "string", "description": "openai-chat, openai-responses, anthropic or gemini." },
          "route": { "type": "string" },
          "model": { "type": ["string", "null"] },
          "upstream_provider": { "type": ["string", "null"] },
          "upstream_model": { "type": ["string", "null"] },
          "stream": { "type": "boolean" },
          "status": { "type": "integer" },
          "error_code": { "type": ["string", "null"] },
          "input_tokens": { "type": "integer" },
          "cached_input_tokens": { "type": "integer" },
          "output_tokens": { "type": "integer" },
          "reasoning_tokens": { "type": "integer" },
          "usage_estimated": { "type": "boolean" },
          "usage_clamped": { "type": "boolean" },
          "held_usd": { "type": "number" },
          "cost_usd": { "type": "number" },
          "latency_ms": { "type": "number" },
          "upstream_ttfb_ms": { "type": ["number", "null"] },
          "ttft_ms": { "type": ["number", "null"] },
          "finish_reason": { "type": ["string", "null"] },
          "client_ip": { "type": ["string", "null"] },
          "user_agent": { "type": ["string", "null"] },
          "request_body": { "type": "string", "description": "Only when the key logs bodies." },
          "response_body": { "type": "string", "description": "Only when the key logs bodies." }
        }
      },
      "LogPage": {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
          "data": { "type": "array", "items": { "$ref": "#/components/schemas/LogEntry" } },
          "next_cursor": { "type": ["string", "null"], "description": "Pass as cursor for the next page; null on the last page." }
        }
      },
      "UsageFigures": {
        "type": "object",
        "required": ["requests", "input_tokens", "cached_input_tokens", "output_tokens", "reasoning_tokens", "cost_usd"],
        "properties": {
          "requests": { "type": "integer" },
          "input_tokens": { "type": "integer" },
          "cached_input_tokens": { "type": "integer" },
          "output_tokens": { "type": "integer" },
          "reasoning_tokens": { "type": "integer" },
          "cost_usd": { "type": "number" }
        }
      },
      "UsageReport": {
        "type": "object",
        "required": ["data", "totals"],
        "properties": {
          "data": {
            "type": "array",
            "items": {
              "allOf": [{ "$ref": "#/components/schemas/UsageFigures" }],
              "type": "object",
              "required": ["group"],
              "properties": { "group": { "type": ["string", "null"], "description": "The model, key id or day (yyyy-MM-dd)." } }
            }
          },
          "totals": { "$ref": "#/components/schemas/UsageFigures" }
        }
      }
    }
    """;

    private const string PublicJson = """
    {
      "OpenAIError": {
        "type": "object",
        "description": "OpenAI's error envelope, used by /api/v1 and the OpenAI routes under /v1.",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
              "message": { "type": "string" },
              "type": { "type": "string", "examples": ["invalid_request_error", "insufficient_quota", "permission_error", "rate_limit_error", "server_error"] },
              "param": { "type": ["string", "null"] },
              "code": { "type": ["string", "null"], "examples": ["invalid_api_key", "model_not_found", "insufficient_balance"] }
            }
          }
        }
      },
      "AnthropicError": {
        "type": "object",
        "description": "Anthropic's error envelope.",
        "required": ["type", "error"],
        "properties": {
          "type": { "const": "error" },
          "error": {
            "type": "object",
            "required": ["type", "message"],
            "properties": {
              "type": { "type": "string", "enum": ["invalid_request_error", "authentication_error", "billing_error", "permission_error", "not_found_error",
                "request_too_large", "rate_limit_error", "api_error", "timeout_error", "overloaded_error"] },
              "message": { "type": "string" }
            }
          }
        }
      },
      "GeminiError": {
        "type": "object",
        "description": "Google API error envelope.",
        "required": ["error"],
        "properties": {
          "error": {
            "type": "object",
            "required": ["code", "message", "status"],
            "properties": {
              "code": { "type": "integer" },
              "message": { "type": "string" },
              "status": { "type": "string", "enum": ["INVALID_ARGUMENT", "UNAUTHENTICATED", "FAILED_PRECONDITION", "PERMISSION_DENIED", "NOT_FOUND",
                "RESOURCE_EXHAUSTED", "INTERNAL", "UNAVAILABLE", "DEADLINE_EXCEEDED"] }
            }
          }
        }
      },
      "ChatMessage": {
        "type": "object",
        "required": ["role"],
        "properties": {
          "role": { "type": "string", "enum": ["system", "developer", "user", "assistant", "tool"] },
          "content": {
            "description": "Text, or an array of parts ({type:text,text} or {type:image_url,image_url:{url}}).",
            "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "object" } }, { "type": "null" }]
          },
          "name": { "type": "string" },
          "tool_calls": { "type": "array", "items": { "type": "object" } },
          "tool_call_id": { "type": "string" }
        }
      },
      "ChatCompletionRequest": {
        "type": "object",
        "required": ["model", "messages"],
        "properties": {
          "model": { "type": "string", "description": "A catalog model id, e.g. gpt-5.4, claude-sonnet-4-6, gemini-2.5-flash." },
          "messages": { "type": "array", "minItems": 1, "items": { "$ref": "#/components/schemas/ChatMessage" } },
          "stream": { "type": "boolean", "default": false },
          "stream_options": { "type": "object", "properties": { "include_usage": { "type": "boolean" } } },
          "max_tokens": { "type": "integer", "minimum": 1, "description": "Output limit; policed by the key's max_output_tokens (clamped or refused)." },
          "max_completion_tokens": { "type": "integer", "minimum": 1 },
          "temperature": { "type": "number" },
          "top_p": { "type": "number" },
          "n": { "type": "integer", "const": 1 },
          "stop": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "string" } }] },
          "tools": { "type": "array", "items": { "type": "object" } },
          "tool_choice": { "oneOf": [{ "type": "string" }, { "type": "object" }] },
          "parallel_tool_calls": { "type": "boolean" },
          "response_format": { "type": "object" },
          "reasoning_effort": { "type": "string" },
          "user": { "type": "string" },
          "safety_identifier": { "type": "string" }
        }
      },
      "ChatCompletion": {
        "type": "object",
        "required": ["id", "object", "created", "model", "choices"],
        "properties": {
          "id": { "type": "string" },
          "object": { "const": "chat.completion" },
          "created": { "type": "integer" },
          "model": { "type": "string" },
          "choices": {
            "type": "array",
            "items": {
              "type": "object",
              "required": ["index", "message", "finish_reason"],
              "properties": {
                "index": { "type": "integer" },
                "message": {
                  "type": "object",
                  "required": ["role"],
                  "properties": {
                    "role": { "const": "assistant" },
                    "content": { "type": ["string", "null"] },
                    "tool_calls": { "type": "array", "items": { "type": "object" } },
                    "refusal": { "type": ["string", "null"] }
                  }
                },
                "finish_reason": { "type": ["string", "null"], "examples": ["stop", "length", "tool_calls", "content_filter"] }
              }
            }
          },
          "usage": { "$ref": "#/components/schemas/ChatUsage" }
        }
      },
      "ChatUsage": {
        "type": "object",
        "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
        "properties": {
          "prompt_tokens": { "type": "integer" },
          "completion_tokens": { "type": "integer" },
          "total_tokens": { "type": "integer" },
          "prompt_tokens_details": { "type": "object", "properties": { "cached_tokens": { "type": "integer" } } },
          "completion_tokens_details": { "type": "object", "properties": { "reasoning_tokens": { "type": "integer" } } }
        }
      },
      "ResponsesRequest": {
        "type": "object",
        "required": ["model", "input"],
        "properties": {
          "model": { "type": "string" },
          "input": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "object" } }] },
          "instructions": { "type": "string" },
          "stream": { "type": "boolean", "default": false },
          "max_output_tokens": { "type": "integer", "minimum": 1 },
          "temperature": { "type": "number" },
          "top_p": { "type": "number" },
          "tools": { "type": "array", "items": { "type": "object" } },
          "tool_choice": { "oneOf": [{ "type": "string" }, { "type": "object" }] },
          "parallel_tool_calls": { "type": "boolean" },
          "reasoning": { "type": "object", "properties": { "effort": { "type": "string" }, "summary": { "type": "string" } } },
          "text": { "type": "object", "properties": { "format": { "type": "object" } } },
          "metadata": { "type": "object" },
          "store": { "type": "boolean" },
          "user": { "type": "string" }
        }
      },
      "Response": {
        "type": "object",
        "required": ["id", "object", "created_at", "model", "status", "output"],
        "properties": {
          "id": { "type": "string" },
          "object": { "const": "response" },
          "created_at": { "type": "integer" },
          "model": { "type": "string" },
          "status": { "type": "string", "enum": ["completed", "incomplete", "failed", "in_progress"] },
          "output": { "type": "array", "items": { "type": "object", "required": ["type"], "properties": { "type": { "type": "string" } } } },
          "incomplete_details": { "type": ["object", "null"] },
          "usage": {
            "type": "object",
            "required": ["input_tokens", "output_tokens", "total_tokens"],
            "properties": {
              "input_tokens": { "type": "integer" },
              "output_tokens": { "type": "integer" },
              "total_tokens": { "type": "integer" },
              "input_tokens_details": { "type": "object", "properties": { "cached_tokens": { "type": "integer" } } },
              "output_tokens_details": { "type": "object", "properties": { "reasoning_tokens": { "type": "integer" } } }
            }
          }
        }
      },
      "Model": {
        "type": "object",
        "required": ["id", "object", "created", "owned_by"],
        "properties": {
          "id": { "type": "string" },
          "object": { "const": "model" },
          "created": { "type": "integer" },
          "owned_by": { "type": "string" }
        }
      },
      "ModelList": {
        "type": "object",
        "required": ["object", "data"],
        "properties": { "object": { "const": "list" }, "data": { "type": "array", "items": { "$ref": "#/components/schemas/Model" } } }
      },
      "GeminiModel": {
        "type": "object",
        "required": ["name", "baseModelId", "displayName", "inputTokenLimit", "outputTokenLimit", "supportedGenerationMethods"],
        "properties": {
          "name": { "type": "string", "pattern": "^models/" },
          "baseModelId": { "type": "string" },
          "version": { "type": "string" },
          "displayName": { "type": "string" },
          "description": { "type": "string" },
          "inputTokenLimit": { "type": "integer" },
          "outputTokenLimit": { "type": "integer" },
          "supportedGenerationMethods": { "type": "array", "items": { "type": "string" } }
        }
      },
      "GeminiModelList": {
        "type": "object",
        "required": ["models"],
        "properties": { "models": { "type": "array", "items": { "$ref": "#/components/schemas/GeminiModel" } } }
      },
      "ModelListAnyShape": { "oneOf": [{ "$ref": "#/components/schemas/ModelList" }, { "$ref": "#/components/schemas/GeminiModelList" }] },
      "ModelAnyShape": { "oneOf": [{ "$ref": "#/components/schemas/Model" }, { "$ref": "#/components/schemas/GeminiModel" }] },
      "MessagesRequest": {
        "type": "object",
        "required": ["model", "max_tokens", "messages"],
        "properties": {
          "model": { "type": "string" },
          "max_tokens": { "type": "integer", "minimum": 1 },
          "messages": {
            "type": "array",
            "minItems": 1,
            "items": {
              "type": "object",
              "required": ["role", "content"],
              "properties": {
                "role": { "type": "string", "enum": ["user", "assistant"] },
                "content": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "object" } }] }
              }
            }
          },
          "system": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "object" } }] },
          "stream": { "type": "boolean", "default": false },
          "temperature": { "type": "number" },
          "top_p": { "type": "number" },
          "top_k": { "type": "integer" },
          "stop_sequences": { "type": "array", "items": { "type": "string" } },
          "tools": { "type": "array", "items": { "type": "object" } },
          "tool_choice": { "type": "object" },
          "thinking": { "type": "object", "properties": { "type": { "type": "string" }, "budget_tokens": { "type": "integer" } } },
          "metadata": { "type": "object", "properties": { "user_id": { "type": "string" } } }
        }
      },
      "Message": {
        "type": "object",
        "required": ["id", "type", "role", "content", "model", "stop_reason", "usage"],
        "properties": {
          "id": { "type": "string" },
          "type": { "const": "message" },
          "role": { "const": "assistant" },
          "model": { "type": "string" },
          "content": { "type": "array", "items": { "type": "object", "required": ["type"], "properties": { "type": { "type": "string" } } } },
          "stop_reason": { "type": ["string", "null"], "examples": ["end_turn", "max_tokens", "stop_sequence", "tool_use"] },
          "stop_sequence": { "type": ["string", "null"] },
          "usage": {
            "type": "object",
            "required": ["input_tokens", "output_tokens"],
            "properties": {
              "input_tokens": { "type": "integer" },
              "output_tokens": { "type": "integer" },
              "cache_read_input_tokens": { "type": ["integer", "null"] },
              "cache_creation_input_tokens": { "type": ["integer", "null"] }
            }
          }
        }
      },
      "CountTokensRequest": {
        "type": "object",
        "required": ["model", "messages"],
        "properties": {
          "model": { "type": "string" },
          "messages": { "type": "array", "items": { "type": "object" } },
          "system": { "oneOf": [{ "type": "string" }, { "type": "array", "items": { "type": "object" } }] },
          "tools": { "type": "array", "items": { "type": "object" } }
        }
      },
      "CountTokensResponse": {
        "type": "object",
        "required": ["input_tokens"],
        "properties": { "input_tokens": { "type": "integer" } }
      },
      "GeminiContent": {
        "type": "object",
        "required": ["parts"],
        "properties": {
          "role": { "type": "string", "enum": ["user", "model"] },
          "parts": { "type": "array", "items": { "type": "object" } }
        }
      },
      "GenerateContentRequest": {
        "type": "object",
        "required": ["contents"],
        "properties": {
          "contents": { "type": "array", "minItems": 1, "items": { "$ref": "#/components/schemas/GeminiContent" } },
          "systemInstruction": { "$ref": "#/components/schemas/GeminiContent" },
          "tools": { "type": "array", "items": { "type": "object" } },
          "toolConfig": { "type": "object" },
          "generationConfig": {
            "type": "object",
            "properties": {
              "maxOutputTokens": { "type": "integer", "minimum": 1 },
              "temperature": { "type": "number" },
              "topP": { "type": "number" },
              "topK": { "type": "integer" },
              "stopSequences": { "type": "array", "items": { "type": "string" } },
              "candidateCount": { "type": "integer", "const": 1 },
              "responseMimeType": { "type": "string" },
              "responseSchema": { "type": "object" },
              "responseJsonSchema": { "type": "object" },
              "thinkingConfig": { "type": "object", "properties": { "thinkingBudget": { "type": "integer" }, "thinkingLevel": { "type": "string" } } }
            }
          }
        }
      },
      "GenerateContentResponse": {
        "type": "object",
        "required": ["candidates"],
        "properties": {
          "candidates": {
            "type": "array",
            "items": {
              "type": "object",
              "properties": {
                "content": { "$ref": "#/components/schemas/GeminiContent" },
                "finishReason": { "type": "string", "examples": ["STOP", "MAX_TOKENS", "SAFETY"] },
                "index": { "type": "integer" }
              }
            }
          },
          "usageMetadata": {
            "type": "object",
            "properties": {
              "promptTokenCount": { "type": "integer" },
              "candidatesTokenCount": { "type": "integer" },
              "totalTokenCount": { "type": "integer" },
              "cachedContentTokenCount": { "type": "integer" },
              "thoughtsTokenCount": { "type": "integer" }
            }
          },
          "modelVersion": { "type": "string" },
          "responseId": { "type": "string" }
        }
      },
      "GeminiCountTokensResponse": {
        "type": "object",
        "required": ["totalTokens"],
        "properties": { "totalTokens": { "type": "integer" } }
      },
      "KeyInfoEnvelope": {
        "type": "object",
        "required": ["data"],
        "properties": {
          "data": {
            "type": "object",
            "required": ["id", "name", "hint", "wallet_id", "allowed_models", "max_output_tokens", "output_cap_mode", "budget_usd", "budget_period",
              "rpm", "tpm", "expires_at", "log_bodies"],
            "properties": {
              "id": { "type": "string", "format": "uuid" },
              "name": { "type": "string" },
              "hint": { "type": "string", "description": "The key's last characters, e.g. nrk_…a1b2." },
              "wallet_id": { "type": "string", "format": "uuid" },
              "allowed_models": { "type": "array", "items": { "type": "string" }, "description": "Empty: every catalog model." },
              "max_output_tokens": { "type": ["integer", "null"] },
              "output_cap_mode": { "type": "string", "enum": ["clamp", "reject"] },
              "budget_usd": { "type": ["number", "null"] },
              "budget_period": { "type": "string", "enum": ["total", "day", "month"] },
              "rpm": { "type": ["integer", "null"] },
              "tpm": { "type": ["integer", "null"] },
              "expires_at": { "type": ["string", "null"], "format": "date-time" },
              "log_bodies": { "type": "boolean" },
              "budget_period_key": { "type": "string", "description": "Only with a budget." },
              "budget_used_usd": { "type": "number" },
              "budget_reserved_usd": { "type": "number" },
              "budget_remaining_usd": { "type": ["number", "null"] }
            }
          }
        }
      },
      "CreditsEnvelope": {
        "type": "object",
        "required": ["data"],
        "properties": {
          "data": {
            "type": "object",
            "required": ["balance_usd", "reserved_usd", "available_usd"],
            "properties": {
              "balance_usd": { "type": "number" },
              "reserved_usd": { "type": "number", "description": "Held by requests in flight." },
              "available_usd": { "type": "number", "description": "balance_usd − reserved_usd." }
            }
          }
        }
      }
    }
    """;

    private const string AdminJson = """
    {
      "ProblemDetails": {
        "type": "object",
        "description": "RFC 9457 problem details; errors names the invalid fields.",
        "required": ["title", "status"],
        "properties": {
          "type": { "type": "string" },
          "title": { "type": "string" },
          "status": { "type": "integer" },
          "detail": { "type": "string" },
          "instance": { "type": "string" },
          "errors": { "type": "object", "additionalProperties": { "type": "array", "items": { "type": "string" } } }
        }
      },
      "KeyPolicyFields": {
        "type": "object",
        "properties": {
          "name": { "type": "string" },
          "allowed_models": { "type": "array", "items": { "type": "string" } },
          "max_output_tokens": { "type": ["integer", "null"] },
          "output_cap_mode": { "type": "string", "enum": ["clamp", "reject"] },
          "budget_usd": { "type": ["number", "null"] },
          "budget_period": { "type": "string", "enum": ["total", "day", "month"] },
          "rpm": { "type": ["integer", "null"] },
          "tpm": { "type": ["integer", "null"] },
          "expires_at": { "type": ["string", "null"], "format": "date-time" },
          "log_bodies": { "type": "boolean" }
        }
      },
      "KeyCreate": {
        "allOf": [{ "$ref": "#/components/schemas/KeyPolicyFields" }],
        "type": "object",
        "required": ["wallet_id", "name"],
        "properties": { "wallet_id": { "type": "string", "format": "uuid" } }
      },
      "KeyPatch": {
        "allOf": [{ "$ref": "#/components/schemas/KeyPolicyFields" }],
        "type": "object",
        "properties": { "disabled": { "type": "boolean" } }
      },
      "Key": {
        "type": "object",
        "required": ["id", "wallet_id", "name", "hint", "state", "disabled", "allowed_models", "max_output_tokens", "output_cap_mode", "budget_usd",
          "budget_period", "rpm", "tpm", "expires_at", "log_bodies", "created_at", "updated_at"],
        "properties": {
          "id": { "type": "string", "format": "uuid" },
          "wallet_id": { "type": "string", "format": "uuid" },
          "name": { "type": "string" },
          "hint": { "type": "string" },
          "state": { "type": "string", "enum": ["active", "disabled", "revoked"] },
          "disabled": { "type": "boolean" },
          "allowed_models": { "type": "array", "items": { "type": "string" } },
          "max_output_tokens": { "type": ["integer", "null"] },
          "output_cap_mode": { "type": "string" },
          "budget_usd": { "type": ["number", "null"] },
          "budget_period": { "type": "string" },
          "rpm": { "type": ["integer", "null"] },
          "tpm": { "type": ["integer", "null"] },
          "expires_at": { "type": ["string", "null"], "format": "date-time" },
          "log_bodies": { "type": "boolean" },
          "created_at": { "type": "string", "format": "date-time" },
          "updated_at": { "type": "string", "format": "date-time" },
          "rotated_at": { "type": ["string", "null"], "format": "date-time" },
          "revoked_at": { "type": ["string", "null"], "format": "date-time" },
          "key": { "type": "string", "description": "The secret (nrk_…), only in the create and rotate responses." }
        }
      },
      "KeyList": {
        "type": "object",
        "required": ["data"],
        "properties": { "data": { "type": "array", "items": { "$ref": "#/components/schemas/Key" } } }
      },
      "WalletCreate": { "type": "object", "properties": { "name": { "type": "string" } } },
      "Wallet": {
        "type": "object",
        "required": ["id", "name", "balance_usd", "reserved_usd", "available_usd", "created_at"],
        "properties": {
          "id": { "type": "string", "format": "uuid" },
          "name": { "type": "string" },
          "balance_usd": { "type": "number" },
          "reserved_usd": { "type": "number" },
          "available_usd": { "type": "number" },
          "created_at": { "type": "string", "format": "date-time" }
        }
      },
      "CreditCreate": {
        "type": "object",
        "required": ["amount_usd"],
        "properties": {
          "amount_usd": { "type": "number", "exclusiveMinimum": 0 },
          "reference": { "type": "string", "description": "Idempotency reference: a repeat with the same reference adds nothing." }
        }
      },
      "LedgerEntry": {
        "type": "object",
        "required": ["id", "wallet_id", "kind", "amount_usd", "balance_after_usd", "reserved_after_usd", "created_at"],
        "properties": {
          "id": { "type": "integer" },
          "wallet_id": { "type": "string", "format": "uuid" },
          "kind": { "type": "string" },
          "amount_usd": { "type": "number" },
          "balance_delta_usd": { "type": "number" },
          "reserved_delta_usd": { "type": "number" },
          "balance_after_usd": { "type": "number" },
          "reserved_after_usd": { "type": "number" },
          "request_id": { "type": ["string", "null"] },
          "reference": { "type": ["string", "null"] },
          "flags": { "type": "array", "items": { "type": "string" } },
          "note": { "type": ["string", "null"] },
          "created_at": { "type": "string", "format": "date-time" }
        }
      },
      "LedgerPage": {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
          "data": { "type": "array", "items": { "$ref": "#/components/schemas/LedgerEntry" } },
          "next_cursor": { "type": ["string", "null"] }
        }
      },
      "DeadLetter": {
        "type": "object",
        "description": "An event that could not be processed for a reason retrying will not fix; the rest of its batch was.",
        "required": ["id", "request_id", "kind", "reason", "failures", "first_failed_at", "last_failed_at", "event"],
        "properties": {
          "id": { "type": "integer" },
          "request_id": { "type": ["string", "null"], "description": "The event's request id when it has a readable one (a NUL character shows as U+FFFD)." },
          "kind": { "type": "string", "enum": ["malformed", "refused", "failed"],
            "description": "malformed: not readable as a RequestCompleted; refused: the database refused it (the reason starts with the SQLSTATE); failed: the code handling it threw." },
          "reason": { "type": "string" },
          "failures": { "type": "integer", "description": "How often it failed while listed (redeliveries of the same request id)." },
          "first_failed_at": { "type": "string", "format": "date-time" },
          "last_failed_at": { "type": "string", "format": "date-time" },
          "event": { "description": "The event as it came on the wire (a RequestCompleted, camelCase), or whatever JSON could not be read as one." }
        }
      },
      "DeadLetterPage": {
        "type": "object",
        "required": ["data", "next_cursor"],
        "properties": {
          "data": { "type": "array", "items": { "$ref": "#/components/schemas/DeadLetter" } },
          "next_cursor": { "type": ["string", "null"] }
        }
      },
      "DeadLetterRequeue": {
        "type": "object",
        "required": ["requeued"],
        "properties": { "requeued": { "type": "integer", "description": "Events sent back to the queue: queued, not processed yet." } }
      }
    }
    """;
}
