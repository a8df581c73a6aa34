/** One turn of the conversation: the text, and for replies their reasoning, refusal, tool calls, stats, state and error. */
import type { ChatItem } from "../../client/react/index.js";
import { ErrorBox } from "./ErrorBox.js";
import { formatStats } from "./format.js";

/** Props of `Message`. */
export interface MessageProps {
  item: ChatItem;
  /** The reply being streamed right now. */
  streaming: boolean;
  onRetry: () => void;
}

/** A user turn or an assistant reply. */
export function Message({ item, streaming, onRetry }: MessageProps) {
  const isReply = item.role === "assistant";
  const state = streaming ? "streaming" : item.error ? "error" : item.stopped ? "stopped" : "done";
  const parts = item.parts ?? [];
  const reasoning = parts.filter((p) => p.type === "reasoning");
  const refusals = parts.filter((p) => p.type === "refusal");
  const toolCalls = parts.filter((p) => p.type === "tool-call");
  return (
    <article className={`message ${item.role}`} data-testid={isReply ? "reply" : "user-turn"} data-state={state}>
      <div className="role">{isReply ? (item.stats?.model ?? "assistant") : "you"}</div>
      {reasoning.map((part, i) => (
        // Open while the model is still thinking, folded once it answers.
        <details key={`r${i}`} className="reasoning" data-testid="reasoning" open={streaming && item.content === ""}>
          <summary>Reasoning</summary>
          <div className="reasoning-text">{part.text}</div>
        </details>
      ))}
      {(item.content !== "" || (streaming && toolCalls.length === 0) || (!item.error && parts.length === 0)) && (
        <div className="content" data-testid="content">
          {item.content}
          {streaming && <span className="cursor" aria-hidden="true" />}
        </div>
      )}
      {refusals.map((part, i) => (
        <div key={`f${i}`} className="refusal" data-testid="refusal">
          <span className="badge">refused</span> {part.text}
        </div>
      ))}
      {toolCalls.map((part) => (
        <div key={part.toolCallId} className="tool-call" data-testid="tool-call" data-state={part.state}>
          <div className="tool-name">
            calls <code>{part.toolName || "a function"}</code>
          </div>
          <pre className="tool-args">{part.args}</pre>
        </div>
      ))}
      {isReply && (
        <div className="meta">
          {item.stats && (
            <span data-testid="stats">
              {formatStats(item.stats).map((part) => (
                <span key={part} className="stat">
                  {part}
                </span>
              ))}
            </span>
          )}
          {item.stopped && <span className="badge">stopped</span>}
          {item.resumed ? <span className="badge ok">connection lost and resumed{item.resumed > 1 ? ` ×${item.resumed}` : ""}</span> : null}
        </div>
      )}
      {item.error && <ErrorBox error={item.error} onRetry={onRetry} />}
    </article>
  );
}
