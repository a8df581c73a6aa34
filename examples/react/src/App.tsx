/** The smallest chat on Languru's `useChat`: a conversation with one model, streamed, with Stop. */
import { createLanguruClient } from "../../../client/index.js";
import { useChat } from "../../../client/react/index.js";

// One client for the app; in dev, vite.config.ts forwards /trpc to the gateway, so the page's own origin works.
const client = createLanguruClient({ url: import.meta.env.VITE_LANGURU_URL ?? window.location.origin });

/** The example's only component. */
export function App() {
  const { messages, input, setInput, send, stop, status, error, usage } = useChat({ client, model: "echo", system: "Be brief." });
  const busy = status === "submitted" || status === "streaming" || status === "reconnecting";
  return (
    <main style={{ maxWidth: 640, margin: "2rem auto", fontFamily: "system-ui" }}>
      {/* A reply that failed before its first word has nothing to show: the alert below says why. */}
      {messages
        .filter((m) => m.content !== "" || !m.error)
        .map((m) => (
          <p key={m.id}>
            <b>{m.role}:</b> {m.content}
            {m.stats?.tokensPerSecond != null && <small> ({m.stats.tokensPerSecond.toFixed(1)} tokens/s)</small>}
          </p>
        ))}
      {error && <p role="alert">{error.message}</p>}
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void send();
        }}
      >
        <input aria-label="Message" value={input} onChange={(event) => setInput(event.target.value)} />
        {busy ? (
          <button type="button" onClick={stop}>
            Stop
          </button>
        ) : (
          <button type="submit">Send</button>
        )}
      </form>
      <small>
        {status} · {usage.total_tokens} tokens so far
      </small>
    </main>
  );
}
