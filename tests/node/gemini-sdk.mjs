// Drives the official Google Gen AI SDK (@google/genai) against NexRelay and prints one JSON line with what it saw.
// usage: node gemini-sdk.mjs <baseUrl> <apiKey> <model> <generate|stream|count|list|error> [maxOutputTokens] [apiVersion]
import { GoogleGenAI } from "@google/genai";

const [baseUrl, apiKey, model, mode, maxTokens = "5", apiVersion] = process.argv.slice(2);
const ai = new GoogleGenAI({ apiKey, httpOptions: { baseUrl, ...(apiVersion ? { apiVersion } : {}) } });
const request = {
  model,
  contents: "Say hello to the whole wide world",
  config: { maxOutputTokens: Number(maxTokens), systemInstruction: "Be brief." },
};

try {
  let out;
  if (mode === "generate") {
    const r = await ai.models.generateContent(request);
    out = { text: r.text, usage: r.usageMetadata, finishReason: r.candidates?.[0]?.finishReason };
  } else if (mode === "stream") {
    let text = "";
    let usage;
    let chunks = 0;
    for await (const chunk of await ai.models.generateContentStream(request)) {
      chunks++;
      text += chunk.text ?? "";
      usage = chunk.usageMetadata ?? usage;
    }
    out = { text, usage, chunks };
  } else if (mode === "count") {
    const r = await ai.models.countTokens({ model, contents: request.contents });
    out = { totalTokens: r.totalTokens };
  } else if (mode === "list") {
    const names = [];
    for await (const m of await ai.models.list()) names.push(m.name);
    out = { names };
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
  console.log(JSON.stringify({ ok: true, ...out }));
} catch (e) {
  console.log(JSON.stringify({ ok: false, status: e.status ?? null, message: String(e.message ?? e) }));
}
