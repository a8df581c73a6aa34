/** "Export JSON": the conversation and the settings it was had with, as a file the browser downloads. Never the key. */
import type { ChatItem, ChatParams } from "../../client/react/index.js";
import type { ChatSettings } from "./chat-settings.js";

/** What goes into the file. */
export interface ConversationExport {
  settings: ChatSettings;
  params: ChatParams;
  messages: ChatItem[];
}

/** Downloads `languru-conversation-<date>.json`. */
export function exportConversation({ settings, params, messages }: ConversationExport): void {
  const file = {
    exportedAt: new Date().toISOString(),
    model: settings.model,
    system: settings.system,
    params,
    messages: messages.map((m) => ({
      role: m.role,
      content: m.content,
      ...(m.parts && m.parts.length > 0 ? { parts: m.parts } : {}),
      ...(m.stats ? { stats: m.stats } : {}),
      ...(m.stopped ? { stopped: true } : {}),
      ...(m.error ? { error: { status: m.error.status, message: m.error.message, type: m.error.type, code: m.error.code } } : {}),
    })),
  };
  const url = URL.createObjectURL(new Blob([JSON.stringify(file, null, 2)], { type: "application/json" }));
  const link = document.createElement("a");
  link.href = url;
  link.download = `languru-conversation-${file.exportedAt.slice(0, 19).replace(/:/g, "-")}.json`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
