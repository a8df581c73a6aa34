/**
 * One turn of the conversation: a user turn as typed (editable: edit and send again), a reply as
 * rendered markdown with its reasoning, refusal, tool calls, stats, state and error, and the
 * actions playgrounds have (copy, regenerate, delete).
 */
import { useState } from "react";
import type { ChatItem } from "../../client/react/index.js";
import { CopyButton } from "./CopyButton.js";
import { ErrorBox } from "./ErrorBox.js";
import { formatStats } from "./format.js";
import { Markdown } from "./Markdown.js";

/** Props of `Message`. */
export interface MessageProps {
  item: ChatItem;
  /** The reply being streamed right now. */
  streaming: boolean;
  /** The last reply: the one `Regenerate` replaces and screen readers follow. */
  last: boolean;
  /** A reply is on its way: editing and regenerating wait for it. */
  busy: boolean;
  onRetry: () => void;
  onEdit: (id: string, text: string) => void;
  onRemove: (id: string) => void;
}

/** A user turn or an assistant reply. */
export function Message({ item, streaming, last, busy, onRetry, onEdit, onRemove }: MessageProps) {
  const isReply = item.role === "assistant";
  const [draft, setDraft] = useState<string | null>(null);
  const state = streaming ? "streaming" : item.error ? "error" : item.stopped ? "stopped" : "done";
  const parts = item.parts ?? [];
  const reasoning = parts.filter((p) => p.type === "reasoning");
  const refusals = parts.filter((p) => p.type === "refusal");
  const toolCalls = parts.filter((p) => p.type === "tool-call");
  const served = item.stats?.servedModel;
  const showContent = item.content !== "" || (streaming && toolCalls.length === 0) || (!item.error && parts.length === 0);

  if (draft !== null) {
    const resend = () => {
      if (!draft.trim()) return;
      setDraft(null);
      onEdit(item.id, draft);
    };
    return (
      <article className="message user editing" data-testid="user-turn" data-state="editing">
        <textarea
          aria-label="Edited turn"
          rows={3}
          value={draft}
          onChange={(e) => setDraft(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === "Enter" && !e.shiftKey && !e.nativeEvent.isComposing) {
              e.preventDefault();
              resend();
            } else if (e.key === "Escape") {
              e.stopPropagation();
              setDraft(null);
            }
          }}
          // biome-ignore lint/a11y/noAutofocus: the person just asked to edit this turn.
          autoFocus
        />
        <div className="row">
          <button type="button" onClick={() => setDraft(null)}>
            Cancel
          </button>
          <button type="button" className="primary" onClick={resend} disabled={!draft.trim() || busy}>
            Save and resend
          </button>
        </div>
      </article>
    );
  }

  return (
    <article className={`message ${item.role}`} data-testid={isReply ? "reply" : "user-turn"} data-state={state}>
      <div className="role">
        {isReply ? (item.stats?.model ?? "assistant") : "you"}
        {isReply && served && served !== item.stats?.model && (
          <span className="served" data-testid="served-model" title="The model the upstream says answered">
            {" "}
            → {served}
          </span>
        )}
      </div>
      {reasoning.map((part, i) => (
        // Open while the model is still thinking, folded once it answers.
        // biome-ignore lint/suspicious/noArrayIndexKey: parts only grow at the end, so an index names the same part on every render.
        <details key={`r${i}`} className="reasoning" data-testid="reasoning" open={streaming && item.content === ""}>
          <summary>Reasoning</summary>
          <div className="reasoning-text">{part.text}</div>
        </details>
      ))}
      {showContent &&
        (isReply ? (
          // Only the reply being written is a live region: a screen reader reads it once it is done, not the whole list.
          <div className="content reply-text" data-testid="content" {...(last ? { "aria-live": "polite" as const, "aria-busy": streaming } : {})}>
            <Markdown text={item.content} />
            {streaming && <span className="cursor" aria-hidden="true" />}
          </div>
        ) : (
          <div className="content plain" data-testid="content">
            {item.content}
          </div>
        ))}
      {refusals.map((part, i) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: parts only grow at the end, so an index names the same part on every render.
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
      {!streaming && (
        <div className="turn-actions">
          {item.content !== "" && <CopyButton text={() => item.content} label={isReply ? "Copy reply" : "Copy turn"} />}
          {!isReply && (
            <button type="button" className="small" onClick={() => setDraft(item.content)} disabled={busy}>
              Edit
            </button>
          )}
          {isReply && last && !item.error && (
            <button type="button" className="small" onClick={onRetry} disabled={busy}>
              Regenerate
            </button>
          )}
          <button type="button" className="small" onClick={() => onRemove(item.id)} aria-label={isReply ? "Delete reply" : "Delete turn"}>
            Delete
          </button>
        </div>
      )}
    </article>
  );
}
