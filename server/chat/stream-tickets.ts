/**
 * Follow tokens: what authorises an HTTP (SSE) follower of a generation. An EventSource sends no
 * headers and a key must never travel in a URL, so `chat.start` returns a token beside the
 * generation id, and `chat.stream` presents both. The token is an HMAC of the id and its owner
 * (the key id) under a secret derived from the master key, which every replica shares: any replica
 * checks it without shared state, and it is good exactly as long as its generation can be followed.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { Caller } from "../access/index.js";
import { ownerOf } from "./generations.js";

/** What a valid token says: whose generation it follows (null with keys off). */
export interface Ticket {
  owner: string | null;
}

/** Issues and checks follow tokens. */
export interface StreamTickets {
  /** A token for generation `id`, started by `caller`. */
  issue(id: string, caller: Caller | undefined): string;
  /** The ticket when `token` was issued for `id`; null otherwise. */
  redeem(id: string, token: string): Ticket | null;
}

/** Creates the token issuer; `masterKey` null (keys off) still checks tokens, though any id is then followable by its id alone. */
export function createStreamTickets(options: { masterKey: string | null }): StreamTickets {
  const secret = createHash("sha256")
    .update(`languru follow tokens\n${options.masterKey ?? ""}`)
    .digest();
  const mac = (id: string, owner: string) => createHmac("sha256", secret).update(`${id}\n${owner}`).digest();

  return {
    issue(id, caller) {
      const owner = ownerOf(caller) ?? "";
      return `${owner}.${mac(id, owner).toString("base64url")}`;
    },

    redeem(id, token) {
      const dot = token.lastIndexOf(".");
      if (dot < 0) return null;
      const owner = token.slice(0, dot);
      const presented = Buffer.from(token.slice(dot + 1), "base64url");
      const expected = mac(id, owner);
      if (presented.length !== expected.length || !timingSafeEqual(presented, expected)) return null;
      return { owner: owner === "" ? null : owner };
    },
  };
}
