/**
 * A reply's text rendered as markdown (sanitised, see markdown.ts), each code block with a copy
 * button. The buttons are added to the rendered DOM, not to the HTML: the sanitiser removes every
 * button a model writes, so any button in here is the page's own.
 */
import { type MouseEvent, useLayoutEffect, useMemo, useRef } from "react";
import { copyText } from "./copy-text.js";
import { renderMarkdown } from "./markdown.js";

/** Props of `Markdown`. */
export interface MarkdownProps {
  text: string;
}

/** The rendered markdown. */
export function Markdown({ text }: MarkdownProps) {
  const html = useMemo(() => ({ __html: renderMarkdown(text) }), [text]);
  const root = useRef<HTMLDivElement>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: the blocks are new whenever the HTML is.
  useLayoutEffect(() => {
    for (const pre of root.current?.querySelectorAll("pre") ?? []) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "small copy-code";
      button.textContent = "Copy";
      button.setAttribute("aria-label", "Copy code");
      pre.before(button);
    }
  }, [html]);
  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const button = (event.target as HTMLElement).closest("button.copy-code");
    const code = button?.nextElementSibling?.textContent;
    if (!button || code == null) return;
    void copyText(code).then((copied) => {
      if (!copied) return;
      button.textContent = "Copied";
      setTimeout(() => (button.textContent = "Copy"), 1500);
    });
  };
  // biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: the clicks come from real buttons inside.
  // biome-ignore lint/security/noDangerouslySetInnerHtml: sanitised by DOMPurify in renderMarkdown.
  return <div ref={root} className="markdown" onClick={onClick} dangerouslySetInnerHTML={html} />;
}
