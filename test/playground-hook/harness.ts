/**
 * The page side of test/playground-hook.test.ts: mounts one component that uses `useChat` (in
 * StrictMode, as apps do in development) and lets the test drive it through `window.hook`.
 */
import { createElement, StrictMode, useEffect } from "react";
import { createRoot, type Root } from "react-dom/client";
import { createLanguruClient } from "../../client/index.js";
import { useChat, type UseChat } from "../../client/react/index.js";

/** What the test can do with the mounted hook. */
export interface HookHarness {
  mount(url: string, model?: string): void;
  send(text: string): void;
  stop(): void;
  unmount(): void;
  /** The hook's state as plain data. */
  snapshot(): {
    status: string;
    contents: string[];
    /** Each turn's parts (replies only; empty for user turns). */
    parts: unknown[][];
    stopped: boolean[];
    error: string | null;
    errorStatus: number | null;
    renders: number;
  };
}

declare global {
  interface Window {
    hook: HookHarness;
  }
}

let root: Root | null = null;
let latest: UseChat | null = null;
let renders = 0;

function Chat({ url, model }: { url: string; model: string }) {
  const chat = useChat({ client: createLanguruClient({ url }), model });
  renders += 1;
  useEffect(() => {
    latest = chat;
  });
  return createElement("pre", null, chat.messages.map((m) => `${m.role}: ${m.content}`).join("\n"));
}

window.hook = {
  mount(url, model = "echo") {
    const element = document.createElement("div");
    document.body.append(element);
    root = createRoot(element);
    root.render(createElement(StrictMode, null, createElement(Chat, { url, model })));
  },
  send(text) {
    void latest?.send(text);
  },
  stop() {
    latest?.stop();
  },
  unmount() {
    root?.unmount();
    root = null;
  },
  snapshot() {
    const chat = latest;
    return {
      status: chat?.status ?? "none",
      contents: chat?.messages.map((m) => m.content) ?? [],
      parts: chat?.messages.map((m) => m.parts ?? []) ?? [],
      stopped: chat?.messages.map((m) => m.stopped === true) ?? [],
      error: chat?.error?.message ?? null,
      errorStatus: chat?.error?.status ?? null,
      renders,
    };
  },
};
