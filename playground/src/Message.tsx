/** One turn of the conversation: the text, and for replies their stats, state and error. */
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
  return (
    <article className={`message ${item.role}`} data-testid={isReply ? "reply" : "user-turn"} data-state={state}>
      <div className="role">{isReply ? (item.stats?.model ?? "assistant") : "you"}</div>
      {(item.content !== "" || streaming || !item.error) && (
        <div className="content" data-testid="content">
          {item.content}
          {streaming && <span className="cursor" aria-hidden="true" />}
        </div>
      )}
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
