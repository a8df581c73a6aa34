/** Asks for an API key when the gateway has keys on; the key is kept for this tab only. */
import { type FormEvent, useState } from "react";

/** Props of `KeyDialog`. */
export interface KeyDialogProps {
  /** Why we ask: the gateway's message, or null when the person opened it. */
  reason: string | null;
  onSave: (key: string) => void;
  onCancel: () => void;
}

/** A small modal form for the API key. */
export function KeyDialog({ reason, onSave, onCancel }: KeyDialogProps) {
  const [key, setKey] = useState("");
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim()) onSave(key.trim());
  };
  return (
    <div className="backdrop">
      <form className="dialog" onSubmit={submit} aria-label="API key">
        <h2>API key</h2>
        <p>{reason ?? "This gateway requires an API key."}</p>
        <label>
          Key
          <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} placeholder="sk-lru-..." />
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
    </div>
  );
}
