/** The messages between the bench runner and the server processes it forks. */

/** What a forked server can be. */
export type Role = "upstream" | "proxy" | "gateway" | "gateway-keys" | "gateway-redis";

/** Child to parent. */
export type ChildMessage =
  | { type: "ready"; url: string /** With keys on: an API key made for the bench. */; key?: string }
  | {
      type: "stats";
      connections: number;
      cpuMs: number;
      systemMs: number /** Resident set size in bytes, after a full GC when the process allows one. */;
      rssBytes: number;
      heapUsedBytes: number;
    };

/** Parent to child. */
export type ParentMessage = { type: "stats"; gc?: boolean } | { type: "close" };

/** Narrows an IPC payload to a child message. */
export function isChildMessage(value: unknown): value is ChildMessage {
  return typeof value === "object" && value !== null && "type" in value && (value.type === "ready" || value.type === "stats");
}

/** Narrows an IPC payload to a parent message. */
export function isParentMessage(value: unknown): value is ParentMessage {
  return typeof value === "object" && value !== null && "type" in value && (value.type === "stats" || value.type === "close");
}
