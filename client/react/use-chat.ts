/**
 * `useChat`: a React hook that owns one conversation with a Languru gateway, in the manner of the
 * Vercel AI SDK's `useChat`. It streams each reply token by token through the SDK's `chat.stream`,
 * measures it, stops it (the SDK then cancels the generation upstream), aborts on unmount, and
 * shows a dropped connection that the SDK resumes. Turns can be edited and sent again, a reply
 * regenerated, any turn removed.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { ConnectionError, LanguruError, type ChatCompletionRequestInput, type LanguruClient, type Usage } from "../index.js";
import { ReplyMeter, type ReplyStats } from "./reply-meter.js";
import { ReplyParts, type ReplyPart } from "./reply-parts.js";

/** One turn of the conversation as the hook keeps it. */
export interface ChatItem {
  id: string;
  role: "user" | "assistant";
  /** The text: a user turn's, or a reply's answer (its text parts together). */
  content: string;
  /** Replies only: everything the reply holds, in order: text, reasoning, refusal, tool calls (arguments as they stream). */
  parts?: ReplyPart[];
  /** Replies only: usage, time to first token, tokens per second (live while streaming). */
  stats?: ReplyStats;
  /** Replies only: the error that ended this reply. */
  error?: LanguruError;
  /** Replies only: stopped by the caller before the model finished. */
  stopped?: boolean;
  /** Replies only: how often the connection dropped and the stream carried on where it stopped. */
  resumed?: number;
}

/**
 * `submitted`: sent, waiting for the first chunk; `streaming`: tokens arriving; `reconnecting`: the
 * connection dropped mid-reply and the SDK is resuming it; `error`: the last reply failed.
 */
export type ChatStatus = "ready" | "submitted" | "streaming" | "reconnecting" | "error";

/** Request fields sent with every turn besides the conversation: temperature, max_tokens, extras. */
export type ChatParams = Partial<ChatCompletionRequestInput>;

/** Options of `useChat`. */
export interface UseChatOptions {
  /** From `createLanguruClient`; a new client (another key) takes effect on the next send. */
  client: LanguruClient;
  /** The model every turn is sent to. */
  model: string;
  /** Sent first as a system message when not empty. */
  system?: string;
  /** Sent with every turn; `model`, `messages` and `stream` are the hook's own. */
  params?: ChatParams;
  /** The conversation to start from. */
  initialMessages?: ChatItem[];
  /** Called when a reply ended (finished, stopped or failed). */
  onFinish?: (reply: ChatItem) => void;
  /** Called when a reply failed. */
  onError?: (error: LanguruError) => void;
}

/** What `useChat` returns. */
export interface UseChat {
  messages: ChatItem[];
  setMessages: (messages: ChatItem[]) => void;
  input: string;
  setInput: (input: string) => void;
  /** Sends `text` (or the input, which is then cleared) as the next user turn and streams the reply. */
  send: (text?: string) => Promise<void>;
  /** Stops the reply being streamed; the gateway cancels the upstream generation. */
  stop: () => void;
  /** Sends the conversation again without its last reply (after an error or to get another answer). */
  retry: () => Promise<void>;
  /** Another answer to the last user turn: the same as `retry`, named as playgrounds name it. */
  regenerate: () => Promise<void>;
  /**
   * Replaces user turn `id`'s text, drops every turn after it, and streams a new reply (as the
   * OpenAI and Anthropic playgrounds do). An unknown id, a reply's id or blank text does nothing.
   */
  edit: (id: string, text: string) => Promise<void>;
  /** Removes one turn (stopping it first when it is the reply being streamed). */
  remove: (id: string) => void;
  /** Stops any reply and empties the conversation. */
  reset: () => void;
  status: ChatStatus;
  /** The error of the last reply, if it failed. */
  error: LanguruError | null;
  /** Token totals of every reply in this conversation. */
  usage: Usage;
}

const noUsage = (): Usage => ({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });

let nextId = 0;
const newId = (): string => `m${Date.now().toString(36)}${(nextId++).toString(36)}`;

/** Owns a conversation with a Languru gateway; see `UseChat` for what it returns. */
export function useChat(options: UseChatOptions): UseChat {
  const [messages, setMessagesState] = useState<ChatItem[]>(() => options.initialMessages ?? []);
  const [input, setInput] = useState("");
  const [status, setStatus] = useState<ChatStatus>("ready");
  const [error, setError] = useState<LanguruError | null>(null);
  // Refs hold what a running stream reads and writes, so a render in between never sees stale state.
  const messagesRef = useRef(messages);
  const optionsRef = useRef(options);
  optionsRef.current = options;
  const controllerRef = useRef<AbortController | null>(null);
  const mountedRef = useRef(true);

  const commit = useCallback((next: ChatItem[]) => {
    messagesRef.current = next;
    if (mountedRef.current) setMessagesState(next);
  }, []);
  const patchReply = useCallback(
    (id: string, patch: Partial<ChatItem>) => commit(messagesRef.current.map((m) => (m.id === id ? { ...m, ...patch } : m))),
    [commit],
  );

  useEffect(() => {
    mountedRef.current = true;
    return () => {
      mountedRef.current = false;
      controllerRef.current?.abort(new DOMException("The component unmounted", "AbortError"));
    };
  }, []);

  const stream = useCallback(
    async (history: ChatItem[]) => {
      controllerRef.current?.abort(new DOMException("A new message was sent", "AbortError"));
      const controller = new AbortController();
      controllerRef.current = controller;
      const { client, model, system, params } = optionsRef.current;
      const reply: ChatItem = { id: newId(), role: "assistant", content: "", parts: [] };
      commit([...history, reply]);
      setError(null);
      setStatus("submitted");

      const assembled = new ReplyParts();
      const messages = [...(system ? [{ role: "system" as const, content: system }] : []), ...toRequestMessages(history)];
      const request: ChatCompletionRequestInput = { ...params, model, messages, stream: true, stream_options: { include_usage: true } };
      const meter = new ReplyMeter(
        model,
        messages.reduce((sum, m) => sum + m.content.length, 0),
      );
      const live = () => controllerRef.current === controller && mountedRef.current;
      let content = "";
      let resumed = 0;
      let offline = false;
      // The SDK resumes a dropped stream by itself and says so (`onConnectionChange`); the browser's
      // offline event tells it sooner when the network itself went away.
      const onOffline = () => {
        offline = true;
        if (live()) setStatus("reconnecting");
      };
      globalThis.addEventListener?.("offline", onOffline);
      try {
        const onConnectionChange = (state: "reconnecting" | "connected") => {
          if (state === "reconnecting") onOffline();
        };
        for await (const chunk of client.chat.stream(request, { signal: controller.signal, onConnectionChange })) {
          content += meter.take(chunk);
          assembled.take(chunk);
          if (offline) {
            offline = false;
            resumed += 1;
          }
          patchReply(reply.id, { content, parts: assembled.parts(), stats: meter.stats(), ...(resumed ? { resumed } : {}) });
          if (live()) setStatus("streaming");
        }
        meter.end();
        assembled.finish();
        patchReply(reply.id, { content, parts: assembled.parts(), stats: meter.stats() });
        if (live()) setStatus("ready");
      } catch (err) {
        meter.end();
        assembled.finish();
        const parts = assembled.parts();
        if (controller.signal.aborted) {
          patchReply(reply.id, { content, parts, stats: meter.stats(), stopped: true });
          if (live()) setStatus("ready");
        } else {
          const failure = err instanceof LanguruError ? err : new ConnectionError(err instanceof Error ? err.message : String(err));
          patchReply(reply.id, { content, parts, stats: meter.stats(), error: failure });
          if (live()) {
            setError(failure);
            setStatus("error");
          }
          optionsRef.current.onError?.(failure);
        }
      } finally {
        globalThis.removeEventListener?.("offline", onOffline);
        if (controllerRef.current === controller) controllerRef.current = null;
        const ended = messagesRef.current.find((m) => m.id === reply.id);
        if (ended) optionsRef.current.onFinish?.(ended);
      }
    },
    [commit, patchReply],
  );

  // `send()` without text reads the input as typed so far, not as it was at the last render.
  const inputRef = useRef(input);
  inputRef.current = input;
  const send = useCallback(
    async (text?: string) => {
      const content = text ?? inputRef.current;
      if (!content.trim()) return;
      if (text === undefined) setInput("");
      await stream([...messagesRef.current, { id: newId(), role: "user", content }]);
    },
    [stream],
  );

  const stop = useCallback(() => controllerRef.current?.abort(new DOMException("Stopped by the user", "AbortError")), []);

  const retry = useCallback(async () => {
    const history = messagesRef.current;
    let end = history.length;
    while (end > 0 && history[end - 1]?.role !== "user") end -= 1;
    if (end === 0) return;
    await stream(history.slice(0, end));
  }, [stream]);

  const edit = useCallback(
    async (id: string, text: string) => {
      const history = messagesRef.current;
      const at = history.findIndex((m) => m.id === id);
      if (at === -1 || history[at]?.role !== "user" || !text.trim()) return;
      await stream([...history.slice(0, at), { id, role: "user", content: text }]);
    },
    [stream],
  );

  const remove = useCallback(
    (id: string) => {
      const streaming = controllerRef.current !== null && messagesRef.current.at(-1)?.id === id;
      if (streaming) controllerRef.current?.abort(new DOMException("The reply was removed", "AbortError"));
      commit(messagesRef.current.filter((m) => m.id !== id));
    },
    [commit],
  );

  const reset = useCallback(() => {
    controllerRef.current?.abort(new DOMException("The conversation was reset", "AbortError"));
    controllerRef.current = null;
    commit([]);
    setError(null);
    setStatus("ready");
  }, [commit]);

  return {
    messages,
    setMessages: commit,
    input,
    setInput,
    send,
    stop,
    retry,
    regenerate: retry,
    edit,
    remove,
    reset,
    status,
    error,
    usage: totalUsage(messages),
  };
}

/** The turns a request carries: every user turn, and every reply with text that did not fail (a stopped one included). */
function toRequestMessages(history: ChatItem[]): { role: "user" | "assistant"; content: string }[] {
  return history.filter((m) => m.role === "user" || (m.content !== "" && !m.error)).map((m) => ({ role: m.role, content: m.content }));
}

/** The usage of every reply: the server's count, or the estimate of a reply that ended without one (stopped). */
function totalUsage(messages: ChatItem[]): Usage {
  const total = noUsage();
  for (const m of messages) {
    const u = m.stats?.usage ?? m.stats?.estimatedUsage;
    if (!u) continue;
    total.prompt_tokens += u.prompt_tokens;
    total.completion_tokens += u.completion_tokens;
    total.total_tokens += u.total_tokens;
  }
  return total;
}
