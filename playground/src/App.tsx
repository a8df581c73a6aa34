/**
 * The playground page: settings on the side (a drawer on a phone), the conversation in the middle,
 * the composer below. The conversation and settings survive a reload (localStorage); the key does
 * not leave this tab (sessionStorage).
 */
import { type FormEvent, type KeyboardEvent, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { createLanguruClient } from "../../client/index.js";
import { useChat } from "../../client/react/index.js";
import { toChatParams } from "./chat-settings.js";
import { codeSamples } from "./code-samples.js";
import { ErrorBox } from "./ErrorBox.js";
import { exportConversation } from "./export-conversation.js";
import { KeyDialog } from "./KeyDialog.js";
import { Message } from "./Message.js";
import { loadConversation, saveConversation } from "./saved-conversation.js";
import { Settings } from "./Settings.js";
import { useApiKey } from "./use-api-key.js";
import { useAutoscroll } from "./use-autoscroll.js";
import { useModels } from "./use-models.js";
import { ViewCode } from "./ViewCode.js";

// Below this width the settings are a drawer, closed at first, so the conversation gets the screen.
const WIDE = "(min-width: 760px)";

/** The whole page. */
export function App() {
  const [restored] = useState(loadConversation);
  const key = useApiKey();
  const client = useMemo(() => createLanguruClient({ url: window.location.origin, ...(key.apiKey ? { apiKey: key.apiKey } : {}) }), [key.apiKey]);
  const { models, error: modelsError, loading, reload } = useModels(client);
  const [settings, setSettings] = useState(restored.settings);
  const { params, error: problem } = toChatParams(settings);
  const chat = useChat({
    client,
    model: settings.model,
    system: settings.system,
    params,
    initialMessages: restored.messages,
    onError: (error) => {
      if (error.status === 401) key.unauthorized(error, key.current() !== null);
      // The model went away (a config reload): the list the page shows is stale.
      if (error.code === "model_not_found") reload();
    },
  });
  const busy = chat.status === "submitted" || chat.status === "streaming" || chat.status === "reconnecting";
  const [settingsOpen, setSettingsOpen] = useState(() => window.matchMedia?.(WIDE).matches ?? true);
  const [showCode, setShowCode] = useState(false);
  const composer = useRef<HTMLTextAreaElement>(null);

  // Pick the first model once the list is in, and again if the chosen one is not in it (removed since the last visit).
  useEffect(() => {
    if (models.length > 0 && !settings.customModel && !models.some((m) => m.id === settings.model)) setSettings((s) => ({ ...s, model: models[0]?.id ?? "" }));
  }, [models, settings.model, settings.customModel]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: only a new error is news; the key is read as of now.
  useEffect(() => {
    if (modelsError?.status === 401) key.unauthorized(modelsError, key.current() !== null);
  }, [modelsError]);

  // Saved whenever no reply is being written, and on leaving the page (a reply in flight then counts as stopped).
  const latest = useRef({ settings, messages: chat.messages, busy });
  latest.current = { settings, messages: chat.messages, busy };
  useEffect(() => {
    if (!busy) saveConversation(settings, chat.messages, null);
  }, [busy, settings, chat.messages]);
  useEffect(() => {
    const onHide = () => {
      const { settings: s, messages, busy: writing } = latest.current;
      saveConversation(s, messages, writing ? (messages.at(-1)?.id ?? null) : null);
    };
    window.addEventListener("pagehide", onHide);
    return () => window.removeEventListener("pagehide", onHide);
  }, []);

  const lastReply = chat.messages.at(-1);
  const scroll = useAutoscroll([chat.messages.length, lastReply?.content, lastReply?.parts, lastReply?.error, chat.status]);

  const dialogOpen = key.prompt !== null || showCode;
  const stop = useCallback(() => {
    chat.stop();
    composer.current?.focus();
  }, [chat.stop]);
  useEffect(() => {
    const onKey = (event: globalThis.KeyboardEvent) => {
      if (event.key === "Escape" && busy && !dialogOpen) stop();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [busy, dialogOpen, stop]);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (busy || !settings.model || problem) return;
    scroll.jump();
    void chat.send();
  };
  const onKeyDown = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    // Enter sends, Shift+Enter is a new line, as in the OpenAI and Groq playgrounds.
    if (event.key === "Enter" && !event.shiftKey && !event.nativeEvent.isComposing) submit(event);
  };

  return (
    <div className="page">
      <header>
        <h1>
          Languru <span className="wide-only">playground</span>
        </h1>
        <span className="status-badge" data-state={chat.status} data-testid="status">
          {chat.status === "reconnecting" ? "connection lost, resuming…" : chat.status}
        </span>
        <span className="spacer" />
        <button type="button" aria-expanded={settingsOpen} aria-controls="settings" onClick={() => setSettingsOpen((open) => !open)}>
          Settings
        </button>
        {key.keysOn &&
          (key.apiKey ? (
            <button type="button" onClick={() => key.apply(null)}>
              Forget key
            </button>
          ) : (
            <button type="button" onClick={key.ask}>
              API key
            </button>
          ))}
      </header>
      <div className={`layout ${settingsOpen ? "settings-open" : ""}`}>
        {
          <Settings
            hidden={!settingsOpen}
            models={models}
            modelsLoading={loading}
            onRefreshModels={reload}
            settings={settings}
            onChange={setSettings}
            problem={problem}
            usage={chat.usage}
            usageEstimated={chat.messages.some((m) => !m.stats?.usage && m.stats?.estimatedUsage)}
            onClear={chat.reset}
            onViewCode={() => setShowCode(true)}
            onExport={() => exportConversation({ settings, params, messages: chat.messages })}
            onClose={() => setSettingsOpen(false)}
          />
        }
        <main>
          {modelsError && modelsError.status !== 401 && <ErrorBox error={modelsError} onRetry={reload} />}
          <div className="messages" ref={scroll.ref} data-testid="messages">
            {chat.messages.length === 0 && (
              <p className="empty">{loading ? "Loading models…" : "Pick a model, write a message, press Enter. Replies stream token by token."}</p>
            )}
            {chat.messages.map((m, i) => (
              <Message
                key={m.id}
                item={m}
                streaming={busy && i === chat.messages.length - 1 && m.role === "assistant"}
                last={i === chat.messages.length - 1 && m.role === "assistant"}
                busy={busy}
                onRetry={chat.retry}
                onEdit={(id, text) => {
                  scroll.jump();
                  void chat.edit(id, text);
                }}
                onRemove={chat.remove}
              />
            ))}
          </div>
          {!scroll.pinned && (
            <button type="button" className="jump" onClick={scroll.jump}>
              ↓ Jump to latest
            </button>
          )}
          {chat.status === "reconnecting" && (
            <div className="notice" role="status">
              Connection lost. Reconnecting: the reply carries on where it stopped if the gateway still has it (a gateway that restarted without Redis does not;
              what arrived stays here either way).
            </div>
          )}
          <form className="composer" onSubmit={submit}>
            <textarea
              ref={composer}
              aria-label="Message"
              rows={3}
              value={chat.input}
              onChange={(e) => chat.setInput(e.target.value)}
              onKeyDown={onKeyDown}
              placeholder="Write a message (Enter sends, Shift+Enter for a new line, Esc stops)"
            />
            {busy ? (
              <button type="button" className="stop" onClick={stop}>
                Stop
              </button>
            ) : (
              <button type="submit" className="primary" disabled={!settings.model || !chat.input.trim() || problem !== null}>
                Send
              </button>
            )}
          </form>
        </main>
      </div>
      {key.prompt && <KeyDialog reason={key.prompt} onSave={key.apply} onCancel={key.cancel} />}
      {showCode && (
        <ViewCode
          samples={codeSamples({
            origin: window.location.origin,
            model: settings.model,
            system: settings.system,
            params,
            messages: chat.messages,
            draft: chat.input,
            keysOn: key.keysOn,
          })}
          onClose={() => setShowCode(false)}
        />
      )}
    </div>
  );
}
