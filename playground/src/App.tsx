/** The playground page: settings on the side, the conversation in the middle, the composer below. */
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { createLanguruClient } from "../../client/index.js";
import { useChat } from "../../client/react/index.js";
import { ErrorBox } from "./ErrorBox.js";
import { KeyDialog } from "./KeyDialog.js";
import { Message } from "./Message.js";
import { loadApiKey, saveApiKey } from "./session.js";
import { type ChatSettings, Settings } from "./Settings.js";
import { useModels } from "./use-models.js";

/** The whole page. */
export function App() {
  const [apiKey, setApiKey] = useState<string | null>(loadApiKey);
  const [keyPrompt, setKeyPrompt] = useState<{ reason: string | null } | null>(null);
  // A 401 means the key we hold (if any) is wrong or revoked: forget it and ask.
  const askForKey = useCallback((reason: string) => {
    saveApiKey(null);
    setApiKey(null);
    setKeyPrompt({ reason });
  }, []);
  const client = useMemo(() => createLanguruClient({ url: window.location.origin, ...(apiKey ? { apiKey } : {}) }), [apiKey]);
  const { models, error: modelsError, loading, reload } = useModels(client);
  const [settings, setSettings] = useState<ChatSettings>({ model: "", system: "", temperature: 1, maxTokens: "" });
  const maxTokens = Number.parseInt(settings.maxTokens, 10);
  const chat = useChat({
    client,
    model: settings.model,
    system: settings.system,
    params: { temperature: settings.temperature, ...(maxTokens > 0 ? { max_tokens: maxTokens } : {}) },
    onError: (error) => {
      if (error.status === 401) askForKey(error.message);
    },
  });
  const busy = chat.status === "submitted" || chat.status === "streaming" || chat.status === "reconnecting";

  // Pick the first model once the list is in, and again if the chosen one disappeared.
  useEffect(() => {
    if (models.length > 0 && !models.some((m) => m.id === settings.model)) setSettings((s) => ({ ...s, model: models[0]?.id ?? "" }));
  }, [models, settings.model]);
  useEffect(() => {
    if (modelsError?.status === 401) askForKey(modelsError.message);
  }, [modelsError, askForKey]);

  const end = useRef<HTMLDivElement>(null);
  const lastContent = chat.messages.at(-1)?.content;
  // biome-ignore lint/correctness/useExhaustiveDependencies: scroll whenever the last turn grows.
  useEffect(() => {
    // A block body: newer Chromium returns a Promise from scrollIntoView, which React would take for a cleanup.
    end.current?.scrollIntoView({ block: "end" });
  }, [chat.messages.length, lastContent]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!busy && settings.model) void chat.send();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends, Shift+Enter is a new line, as in the OpenAI and Groq playgrounds.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };
  const applyKey = (key: string | null) => {
    saveApiKey(key);
    setApiKey(key);
    setKeyPrompt(null);
  };

  return (
    <div className="page">
      <header>
        <h1>Languru playground</h1>
        <span className={`status ${chat.status}`} data-testid="status">
          {chat.status === "reconnecting" ? "connection lost, resuming…" : chat.status}
        </span>
        <span className="spacer" />
        {apiKey ? (
          <button type="button" onClick={() => applyKey(null)}>
            Forget API key
          </button>
        ) : (
          <button type="button" onClick={() => setKeyPrompt({ reason: null })}>
            API key
          </button>
        )}
      </header>
      <div className="layout">
        <Settings models={models} settings={settings} onChange={setSettings} usage={chat.usage} onClear={chat.reset} />
        <main>
          {modelsError && modelsError.status !== 401 && <ErrorBox error={modelsError} onRetry={reload} />}
          <div className="messages" aria-live="polite">
            {chat.messages.length === 0 && (
              <p className="empty">{loading ? "Loading models…" : "Pick a model, write a message, press Enter. Replies stream token by token."}</p>
            )}
            {chat.messages.map((m, i) => (
              <Message key={m.id} item={m} streaming={busy && i === chat.messages.length - 1 && m.role === "assistant"} onRetry={chat.retry} />
            ))}
            <div ref={end} />
          </div>
          {chat.status === "reconnecting" && (
            <div className="notice" role="status">
              Connection lost. The reply continues where it stopped once the gateway is reachable again.
            </div>
          )}
          <form className="composer" onSubmit={submit}>
            <textarea
              aria-label="Message"
              rows={3}
              value={chat.input}
              onChange={(e) => chat.setInput(e.target.value)}
              onKeyDown={onKeyDown}
              placeholder="Write a message (Enter sends, Shift+Enter for a new line)"
            />
            {busy ? (
              <button type="button" className="stop" onClick={chat.stop}>
                Stop
              </button>
            ) : (
              <button type="submit" className="primary" disabled={!settings.model || !chat.input.trim()}>
                Send
              </button>
            )}
          </form>
        </main>
      </div>
      {keyPrompt && <KeyDialog reason={keyPrompt.reason} onSave={applyKey} onCancel={() => setKeyPrompt(null)} />}
    </div>
  );
}
