/**
 * `languru`: the admin CLI, a thin client of the admin tRPC procedures over the client SDK.
 * It reads the gateway's URL from LANGURU_URL (default http://127.0.0.1:8680) and the master key
 * from LANGURU_MASTER_KEY. Output is JSON, one document per command.
 *
 *   languru keys create [--name N] [--models a,b] [--rpm N] [--tpm N] [--budget USD] [--budget-tokens N] [--expires 30d|ISO]
 *   languru keys list
 *   languru keys update <id> [same options; "none" clears one]
 *   languru keys revoke <id>
 *   languru usage [--key ID] [--model M] [--since 24h|ISO] [--until ISO] [--limit N]
 */
import { parseArgs } from "node:util";
import { toLanguruError } from "../client/errors.js";
import { createLanguruClient } from "../client/index.js";
import { isServerCommand, runServerCommand } from "./server-commands.js";

const usage = `usage:
  languru serve [--config FILE] [--port N] [--host H]
  languru check-config FILE
  languru models [--config FILE]
  languru keys create [--name N] [--models a,b] [--rpm N] [--tpm N] [--budget USD] [--budget-tokens N] [--expires 30d|ISO-date]
  languru keys list
  languru keys update <id> [same options as create; "none" clears a limit]
  languru keys revoke <id>
  languru usage [--key ID] [--model M] [--since 24h|ISO-date] [--until ISO-date] [--limit N]
environment: LANGURU_URL (default http://127.0.0.1:8680), LANGURU_MASTER_KEY (required)`;

const options = {
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
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>["values"];

/** A usage mistake: printed with the usage text, exit code 2. */
class UsageError extends Error {}

async function main(argv: string[]): Promise<unknown> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true });
  const [group, command, id] = positionals;
  if (values.help || !group) throw new UsageError("");
  const masterKey = process.env.LANGURU_MASTER_KEY;
  if (!masterKey) throw new UsageError("LANGURU_MASTER_KEY is not set");
  // One request per run: plain HTTP, no socket to open and close.
  const client = createLanguruClient({ url: process.env.LANGURU_URL ?? "http://127.0.0.1:8680", apiKey: masterKey, transport: "http" }).trpc;

  if (group === "keys" && command === "create") return client.keys.create.mutate(settings(values, false));
  if (group === "keys" && command === "list") return client.keys.list.query();
  if (group === "keys" && command === "update" && id) return client.keys.update.mutate({ id, patch: settings(values, true) });
  if (group === "keys" && command === "revoke" && id) return client.keys.revoke.mutate({ id });
  if (group === "usage") {
    return client.usage.query.query({
      keyId: values.key,
      model: values.model,
      from: values.since ? when(values.since, -1) : undefined,
      to: values.until ? when(values.until, -1) : undefined,
      limit: values.limit ? integer(values.limit, "limit") : undefined,
    });
  }
  throw new UsageError(`unknown command: ${positionals.join(" ")}`);
}

/** The key settings given on the command line; in an update, "none" clears one. */
function settings(v: Values, patch: boolean) {
  const opt = <T>(raw: string | undefined, parse: (s: string) => T): T | null | undefined => {
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

/** An ISO date, or a duration (`30d`, `12h`, `90m`) from now: forward for expiry (+1), back for `--since` (-1). */
function when(text: string, direction: 1 | -1): Date {
  const match = /^(\d+)([smhd])$/.exec(text);
  if (match) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as "s" | "m" | "h" | "d"];
    return new Date(Date.now() + direction * Number(match[1]) * unit);
  }
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UsageError(`not a date or duration: ${text}`);
  return date;
}

function integer(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${name} must be a positive integer, got ${text}`);
  return n;
}

function number(text: string, name: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--${name} must be a positive number, got ${text}`);
  return n;
}

const [first, ...rest] = process.argv.slice(2);
if (isServerCommand(first)) {
  runServerCommand(first, rest).catch((err: unknown) => {
    process.stderr.write(`languru: ${(err as Error).message}\n`);
    process.exit(2);
  });
} else {
  runAdmin();
}

function runAdmin(): void {
  main(process.argv.slice(2)).then(
    (result) => {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      if (isCreated(result)) process.stderr.write("Store this key now: it is shown only once.\n");
    },
    (err: unknown) => {
      if (err instanceof UsageError) {
        if (err.message) process.stderr.write(`languru: ${err.message}\n`);
        process.stderr.write(`${usage}\n`);
        process.exit(2);
      }
      const error = toLanguruError(err);
      const message = error.status > 0 ? `${error.status} ${error.code ?? error.type}: ${error.message}` : error.message;
      process.stderr.write(`languru: ${message}\n`);
      process.exit(1);
    },
  );
}

function isCreated(result: unknown): boolean {
  return typeof result === "object" && result !== null && "key" in result;
}
