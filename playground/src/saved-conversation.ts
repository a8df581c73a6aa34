/**
 * The conversation and settings, kept in localStorage so that a reload (or a closed tab) finds them
 * again. Never the API key: that stays in sessionStorage (session.ts). An error is kept as its
 * fields and made a `LanguruError` again on load; a reply that was still streaming when the page
 * went away is loaded as stopped.
 */
import { errorFromStatus } from "../../client/index.js";
import type { ChatItem } from "../../client/react/index.js";
import { type ChatSettings, defaultSettings } from "./chat-settings.js";

const KEY = "languru.conversation";

interface SavedError {
  status: number;
  message: string;
  type: string;
  code: string | null;
}

type SavedItem = Omit<ChatItem, "error"> & { error?: SavedError };

interface Saved {
  version: 1;
  settings: ChatSettings;
  messages: SavedItem[];
}

/** What a reload starts from. */
export interface Restored {
  settings: ChatSettings;
  messages: ChatItem[];
}

/** The saved conversation, or a fresh one when there is none (or it cannot be read). */
export function loadConversation(): Restored {
  try {
    const raw = localStorage.getItem(KEY);
    const saved = raw ? (JSON.parse(raw) as Partial<Saved>) : null;
    if (saved?.version !== 1 || !Array.isArray(saved.messages)) return { settings: defaultSettings(), messages: [] };
    return { settings: { ...defaultSettings(), ...saved.settings }, messages: saved.messages.map(revive) };
  } catch {
    return { settings: defaultSettings(), messages: [] };
  }
}

/** Saves the conversation; `streaming` is the id of a reply still being written (saved as stopped). */
export function saveConversation(settings: ChatSettings, messages: ChatItem[], streaming: string | null): void {
  const saved: Saved = {
    version: 1,
    settings,
    messages: messages.map((m) => {
      const { error, ...rest } = m;
      const item: SavedItem = m.id === streaming ? { ...rest, stopped: true } : rest;
      if (error) item.error = { status: error.status, message: error.message, type: error.type, code: error.code };
      return item;
    }),
  };
  try {
    localStorage.setItem(KEY, JSON.stringify(saved));
  } catch {
    // Full or disabled storage: the conversation then lives until the page closes, as before.
  }
}

function revive(item: SavedItem): ChatItem {
  const { error, ...rest } = item;
  if (!error) return rest;
  return { ...rest, error: errorFromStatus(error.status, error.message, { type: error.type, code: error.code }) };
}
