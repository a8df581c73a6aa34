/** One provider per configured upstream, by its kind: each kind is a translation over the one transport and SSE parser. */
import type { ProviderSettings } from "../config.js";
import { createAnthropicProvider } from "./anthropic/index.js";
import { createGeminiProvider } from "./gemini/index.js";
import { createOpenAICompatibleProvider } from "./openai-compatible.js";
import type { Provider } from "./types.js";

/** Creates the provider of a configured upstream. */
export function createProvider(settings: ProviderSettings): Provider {
  switch (settings.kind) {
    case "openai-compatible":
      return createOpenAICompatibleProvider(settings);
    case "anthropic":
      return createAnthropicProvider(settings);
    case "gemini":
      return createGeminiProvider(settings);
  }
}
