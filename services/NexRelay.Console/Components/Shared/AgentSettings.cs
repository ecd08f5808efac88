namespace NexRelay.Console.Components.Shared;

/// <summary>
/// Copy-paste settings for the official SDKs and the coding agents, pointed at this NexRelay. The key itself is never
/// printed (the console shows a secret once, at creation): each snippet reads it from <c>NEXRELAY_API_KEY</c>.
/// </summary>
public static class AgentSettings
{
    public sealed record Snippet(string Id, string Title, string Text);

    public static IReadOnlyList<Snippet> For(string edge, string model) =>
    [
        new("openai-sdk", "OpenAI SDK (Python)", $$"""
            from openai import OpenAI
            import os

            client = OpenAI(base_url="{{edge}}/api/v1", api_key=os.environ["NEXRELAY_API_KEY"])
            reply = client.chat.completions.create(model="{{model}}", messages=[{"role": "user", "content": "Hello!"}])
            print(reply.choices[0].message.content)
            """),
        new("anthropic-sdk", "Anthropic SDK (TypeScript)", $$"""
            import Anthropic from "@anthropic-ai/sdk";

            const client = new Anthropic({ baseURL: "{{edge}}", apiKey: process.env.NEXRELAY_API_KEY });
            const message = await client.messages.create({ model: "{{model}}", max_tokens: 1024, messages: [{ role: "user", content: "Hello!" }] });
            """),
        new("google-sdk", "Google Gen AI SDK (TypeScript)", $$"""
            import { GoogleGenAI } from "@google/genai";

            const ai = new GoogleGenAI({ apiKey: process.env.NEXRELAY_API_KEY, httpOptions: { baseUrl: "{{edge}}" } });
            const response = await ai.models.generateContent({ model: "{{model}}", contents: "Hello!" });
            """),
        new("codex", "Codex CLI (~/.codex/config.toml)", $$"""
            model = "{{model}}"
            model_provider = "nexrelay"

            [model_providers.nexrelay]
            name = "NexRelay"
            base_url = "{{edge}}/api/v1"
            env_key = "NEXRELAY_API_KEY"
            wire_api = "responses"
            """),
        new("claude-code", "Claude Code (shell)", $$"""
            export ANTHROPIC_BASE_URL="{{edge}}"
            export ANTHROPIC_AUTH_TOKEN="$NEXRELAY_API_KEY"
            claude --model {{model}}
            """),
        new("gemini-cli", "Gemini CLI (shell)", $$"""
            export GOOGLE_GEMINI_BASE_URL="{{edge}}"
            export GEMINI_API_KEY="$NEXRELAY_API_KEY"
            gemini -m {{model}}
            """),
    ];
}
