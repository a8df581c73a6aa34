// @ts-check
/**
 * `languru keys ...` and `languru usage ...`: the admin commands, a thin client of the gateway's
 * admin tRPC procedures. It reads the gateway's URL from LANGURU_URL (default
 * http://127.0.0.1:8680) and the master key from LANGURU_MASTER_KEY. Output is JSON, one document
 * per command.
 *
 * Plain JavaScript on purpose, checked by tsc (`checkJs`, strict) in test/cli.test.ts: these
 * commands are typed by hand, so they must start as fast as Node does. Loading tsx's loader and the
 * TypeScript client SDK cost a call ~0.5 s of CPU before its one HTTP request; this file loads
 * node:http and superjson only.
 */
import http from "node:http";
import https from "node:https";
import { parseArgs } from "node:util";
import superjson from "superjson";

const usage = `usage:
  languru serve [--config FILE] [--port N] [--host H]
  languru check-config FILE
  languru models [--config FILE]
  languru keys create [--name N] [--models a,b] [--rpm N] [--tpm N] [--budget USD] [--budget-tokens N] [--expires 30d|ISO-date]
  languru keys list
  languru keys update <id> [same options as create; "none" clears a limit]
  languru keys revoke <id>
  languru usage [--key ID] [--model M] [--since 24h|ISO-date] [--until ISO-date] [--limit N]
environment: LANGURU_URL (default http://127.0.0.1:8680), LANGURU_MASTER_KEY (required by keys and usage)`;

const options = /** @type {const} */ ({
  name: { type: "string" },
  models: { type: "string" },
  rpm: { type: "string" },
  tpm: { type: "string" },
  budget: { type: "string" },
  "budget-tokens": { type: "string" },
  expires: { type: "string" },
  key: { type: "string" },
  model: { type: "string" },
  since: { type: "string" },
  until: { type: "string" },
  limit: { type: "string" },
  help: { type: "boolean", short: "h" },
});

/** @typedef {ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"]} Values */

// A gateway that accepts the connection but never answers must not hang a script.
const REQUEST_TIMEOUT_MS = 30_000;

/** A usage mistake: printed with the usage text, exit code 2. */
class UsageError extends Error {}

/** An error the gateway answered (an OpenAI error body in tRPC's error data), or no answer at all. */
class CallError extends Error {
  /**
   * @param {string} message
   * @param {number} status 0 when the gateway could not be reached
   */
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/**
 * Runs one command and resolves with what it prints.
 * @param {string[]} argv
 * @returns {Promise<unknown>}
 */
async function main(argv) {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [group, command, id] = positionals;
  if (values.help || !group) throw new UsageError("");
  const masterKey = process.env.LANGURU_MASTER_KEY;
  if (!masterKey) throw new UsageError("LANGURU_MASTER_KEY is not set");
  const gateway = { url: process.env.LANGURU_URL ?? "http://127.0.0.1:8680", masterKey };

  if (group === "keys" && command === "create") return call(gateway, "mutation", "keys.create", settings(values, false));
  if (group === "keys" && command === "list") return call(gateway, "query", "keys.list", undefined);
  if (group === "keys" && command === "update" && id) return call(gateway, "mutation", "keys.update", { id, patch: settings(values, true) });
  if (group === "keys" && command === "revoke" && id) return call(gateway, "mutation", "keys.revoke", { id });
  if (group === "usage") {
    return call(gateway, "query", "usage.query", {
      keyId: values.key,
      model: values.model,
      from: values.since ? when(values.since, -1) : undefined,
      to: values.until ? when(values.until, -1) : undefined,
      limit: values.limit ? integer(values.limit, "limit") : undefined,
    });
  }
  throw new UsageError(`unknown command: ${positionals.join(" ")}`);
}

/**
 * One tRPC call over plain HTTP, as tRPC's `httpLink` makes it: a query is a GET with the input in
 * the URL, a mutation a POST with it as the body; both superjson-encoded (dates travel as dates).
 * @param {{ url: string, masterKey: string }} gateway
 * @param {"query" | "mutation"} kind
 * @param {string} procedure
 * @param {unknown} input
 * @returns {Promise<unknown>}
 */
async function call(gateway, kind, procedure, input) {
  const base = gateway.url.endsWith("/") ? gateway.url : `${gateway.url}/`;
  const url = new URL(`trpc/${procedure}`, base);
  const encoded = input === undefined ? undefined : JSON.stringify(superjson.serialize(input));
  if (kind === "query" && encoded !== undefined) url.searchParams.set("input", encoded);
  const body = kind === "mutation" ? (encoded ?? "{}") : undefined;
  const { status, text } = await request(url, { method: kind === "query" ? "GET" : "POST", authorization: `Bearer ${gateway.masterKey}`, body });
  /** @type {{ result?: { data?: import("superjson").SuperJSONResult }, error?: import("superjson").SuperJSONResult }} */
  let envelope;
  try {
    envelope = JSON.parse(text);
  } catch {
    throw new CallError(`${status}: the gateway at ${gateway.url} answered something that is not tRPC JSON`, status);
  }
  if (envelope.error) throw gatewayError(superjson.deserialize(envelope.error), status);
  if (!envelope.result?.data) throw new CallError(`${status}: no result in the gateway's answer`, status);
  return superjson.deserialize(envelope.result.data);
}

/**
 * The gateway's error as `<status> <code or type>: <message>`, from tRPC's error shape.
 * @param {unknown} shape
 * @param {number} httpStatus
 */
function gatewayError(shape, httpStatus) {
  const record = /** @type {{ message?: unknown, data?: { status?: unknown, error?: { type?: unknown, code?: unknown, message?: unknown } } }} */ (shape ?? {});
  const body = record.data?.error;
  const status = typeof record.data?.status === "number" ? record.data.status : httpStatus;
  const label = typeof body?.code === "string" ? body.code : typeof body?.type === "string" ? body.type : "error";
  const message = typeof body?.message === "string" ? body.message : String(record.message ?? "unknown error");
  return new CallError(`${status} ${label}: ${message}`, status);
}

/**
 * @param {URL} url
 * @param {{ method: string, authorization: string, body: string | undefined }} init
 * @returns {Promise<{ status: number, text: string }>}
 */
function request(url, init) {
  const transport = url.protocol === "https:" ? https : http;
  /** @type {Record<string, string>} */
  const headers = { authorization: init.authorization, accept: "application/json" };
  if (init.body !== undefined) {
    headers["content-type"] = "application/json";
    headers["content-length"] = String(Buffer.byteLength(init.body));
  }
  return new Promise((resolve, reject) => {
    const req = transport.request(url, { method: init.method, headers, timeout: REQUEST_TIMEOUT_MS }, (res) => {
      /** @type {Buffer[]} */
      const parts = [];
      res.on("data", (part) => parts.push(part));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("timeout", () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS / 1000} s`)));
    req.on("error", (err) => reject(new CallError(`cannot reach the gateway at ${url.origin}: ${err.message}`, 0)));
    req.end(init.body);
  });
}

/**
 * The key settings given on the command line; in an update, "none" clears one.
 * @param {Values} v
 * @param {boolean} patch
 */
function settings(v, patch) {
  /**
   * @template T
   * @param {string | undefined} raw
   * @param {(s: string) => T} parse
   * @returns {T | null | undefined}
   */
  const opt = (raw, parse) => {
    if (raw === undefined) return patch ? undefined : null;
    return raw === "none" ? null : parse(raw);
  };
  return {
    name: opt(v.name, (s) => s),
    models: opt(v.models, (s) =>
      s
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean),
    ),
    rpm: opt(v.rpm, (s) => integer(s, "rpm")),
    tpm: opt(v.tpm, (s) => integer(s, "tpm")),
    budgetUsd: opt(v.budget, (s) => number(s.replace(/^\$/, ""), "budget")),
    budgetTokens: opt(v["budget-tokens"], (s) => integer(s, "budget-tokens")),
    expiresAt: opt(v.expires, (s) => when(s, 1)),
  };
}

/**
 * An ISO date, or a duration (`30d`, `12h`, `90m`) from now: forward for expiry (+1), back for `--since` (-1).
 * @param {string} text
 * @param {1 | -1} direction
 */
function when(text, direction) {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (match) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[/** @type {"s" | "m" | "h" | "d"} */ (match[2])];
    return new Date(Date.now() + direction * Number(match[1]) * unit);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`not a date or duration: ${text}`);
  return date;
}

/**
 * @param {string} text
 * @param {string} name
 */
function integer(text, name) {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${text}`);
  return n;
}

/**
 * @param {string} text
 * @param {string} name
 */
function number(text, name) {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${text}`);
  return n;
}

/** @param {unknown} result */
function isCreated(result) {
  return typeof result === "object" && result !== null && "key" in result;
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (isCreated(result)) process.stderr.write("Store this key now: it is shown only once.\n");
  },
  (err) => {
    if (err instanceof UsageError) {
      if (err.message) process.stderr.write(`languru: ${err.message}\n`);
      process.stderr.write(`${usage}\n`);
      process.exit(2);
    }
    process.stderr.write(`languru: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
