/** Asks for an API key when the gateway has keys on; the key is kept for this tab only. */
import { type FormEvent, useState } from "react";
import { Dialog } from "./Dialog.js";

/** Why the page asks for a key. */
export type KeyPromptReason =
  /** The person opened the dialog, or the gateway asked for a key and none was sent. */
  | { kind: "required"; message: null }
  /** The gateway refused the key that was sent: wrong, revoked or expired. */
  | { kind: "incorrect"; message: string };

/** Props of `KeyDialog`. */
export interface KeyDialogProps {
  reason: KeyPromptReason;
  onSave: (key: string) => void;
  onCancel: () => void;
}

/** A modal form for the API key. */
export function KeyDialog({ reason, onSave, onCancel }: KeyDialogProps) {
  const [key, setKey] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim()) onSave(key.trim());
  };
  return (
    <Dialog title="API key" onClose={onCancel}>
      <form onSubmit={submit} aria-label="API key" className="dialog-form">
        {reason.kind === "incorrect" ? (
          <p className="dialog-error" data-testid="key-reason" role="alert">
            Incorrect API key: the gateway refused it. {reason.message}
          </p>
        ) : (
          <p data-testid="key-reason">This gateway requires an API key.</p>
        )}
        <label>
          Key
          <input type="password" autoComplete="off" data-autofocus value={key} onChange={(e) => setKey(e.target.value)} placeholder="sk-lru-..." />
        </label>
        <p className="hint">Kept for this browser tab only (sessionStorage); closing the tab forgets it.</p>
        <div className="row">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={!key.trim()}>
            Use key
          </button>
        </div>
      </form>
    </Dialog>
  );
}
