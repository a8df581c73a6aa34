/**
 * A reply's markdown as safe HTML: `marked` (GitHub-flavoured: tables, fences, autolinks) turns it
 * into HTML, then DOMPurify keeps only inert markup. A model's output is untrusted input: raw HTML
 * in it passes through marked untouched, so everything that can run code or ask for input goes
 * (scripts, event handlers, `javascript:` and other non-web links, forms, styles, frames). Links
 * open in a new tab without a referrer; images can only come from the gateway itself or `data:`
 * (the page's CSP), so a reply cannot make the browser call anyone else.
 */
import DOMPurify from "dompurify";
import { Marked } from "marked";

const marked = new Marked({ gfm: true, breaks: true, async: false });

const purifier = DOMPurify(window);
purifier.addHook("afterSanitizeAttributes", (node) => {
  if (node.tagName === "A" && node.hasAttribute("href")) {
    node.setAttribute("target", "_blank");
    node.setAttribute("rel", "noopener noreferrer nofollow");
  }
});

const config = {
  // Nothing a person could mistake for part of the page, or type a secret into.
  FORBID_TAGS: ["style", "form", "input", "button", "textarea", "select", "option", "iframe", "object", "embed", "dialog", "template"],
  FORBID_ATTR: ["style", "id", "name", "autofocus", "formaction"],
  // Web and mail links only: no `javascript:`, `data:`, `vbscript:` or custom schemes in an href.
  ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|#|\/(?!\/)|\.{0,2}\/)/i,
};

/** Sanitised HTML for `markdown` (a reply's text so far: an unclosed fence renders as code). */
export function renderMarkdown(markdown: string): string {
  const html = marked.parse(markdown) as string;
  return purifier.sanitize(html.trim(), config);
}
