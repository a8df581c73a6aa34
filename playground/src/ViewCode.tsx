/** "View code": the current conversation as curl, the typed SDK, or the openai client, each copyable. */
import { useState } from "react";
import type { CodeSamples } from "./code-samples.js";
import { CopyButton } from "./CopyButton.js";
import { Dialog } from "./Dialog.js";

const tabs = [
  ["curl", "curl"],
  ["sdk", "Languru SDK"],
  ["openai", "openai client"],
] as const;

/** Props of `ViewCode`. */
export interface ViewCodeProps {
  samples: CodeSamples;
  onClose: () => void;
}

/** The dialog with one tab per sample. */
export function ViewCode({ samples, onClose }: ViewCodeProps) {
  const [tab, setTab] = useState<keyof CodeSamples>("curl");
  return (
    <Dialog title="Code for this conversation" onClose={onClose} className="code-dialog">
      <div className="tabs" role="tablist">
        {tabs.map(([id, label]) => (
          <button key={id} type="button" role="tab" aria-selected={tab === id} className={tab === id ? "tab active" : "tab"} onClick={() => setTab(id)}>
            {label}
          </button>
        ))}
      </div>
      <pre className="sample" data-testid="code-sample" role="tabpanel">
        {samples[tab]}
      </pre>
      <div className="row">
        <CopyButton text={() => samples[tab]} label="Copy code" />
        <button type="button" onClick={onClose} data-autofocus>
          Close
        </button>
      </div>
    </Dialog>
  );
}
