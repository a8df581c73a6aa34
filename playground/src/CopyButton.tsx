/** A small button that copies some text and says so for a moment. */
import { useState } from "react";
import { copyText } from "./copy-text.js";

/** Props of `CopyButton`. */
export interface CopyButtonProps {
  text: () => string;
  label?: string;
}

/** "Copy", then "Copied" for 1.5 s. */
export function CopyButton({ text, label = "Copy" }: CopyButtonProps) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    if (!(await copyText(text()))) return;
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" className="small" onClick={() => void copy()} aria-label={label}>
      {copied ? "Copied" : "Copy"}
    </button>
  );
}
