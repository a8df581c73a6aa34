/**
 * The access service: who is calling (`authenticate`), whether they may make this call now
 * (`admit`: model allow-list, budget, RPM and TPM, reserving the prompt-token estimate), and what
 * it cost (`settle`: the actual usage corrects the token window and becomes a ledger row).
 *
 * Keys are cached per replica for `keyCacheMs`; a revocation on this replica applies at once, on
 * others within that time. Store outage: a key seen in the last `STALE_MS` keeps working from the
 * cache; any other key gets 503 (fail closed: never let an unknown key through).
 */
import type { Logger } from "pino";
import {
  AuthenticationError,
  InsufficientQuotaError,
  PermissionDeniedError,
  RateLimitError,
  ServiceUnavailableError,
  type ChatCompletionRequest,
} from "../../shared/index.js";
import type { BudgetHold, Budgets, Limiter, TakeResult } from "../limits/index.js";
import { checkedUsage, tokenCount } from "../providers/upstream-usage.js";
import type { KeyRecord, Store, UsageRow } from "../store/index.js";
import { costOf, type Ledger, type PriceTable } from "../usage/index.js";
import { estimatePromptTokens } from "./estimate.js";
import { rateLimitHeaders, retryAfter } from "./headers.js";
import { hashKey, keyIdOf, redactKey, sameHash } from "./keys.js";

// How old a cached key may be and still be trusted while the store is unreachable.
const STALE_MS = 5 * 60_000;
// Ids of well-formed keys the store does not know, remembered so that guessing costs no query each time.
const MAX_UNKNOWN_IDS = 10_000;
const UNKNOWN_TTL_MIN_MS = 5_000;

/** Who is calling: the master key (no limits), or one API key. */
export type Caller = { kind: "master" } | { kind: "key"; key: KeyRecord };

/** What `admit` reserved, handed back to `settle`. */
export interface Reservation {
  caller: Caller;
  model: string;
  estimate: number;
  startedAt: number;
  /** The worst case held against the key's budgets until `settle`. */
  hold?: BudgetHold;
  /** `x-ratelimit-*` headers for the response. */
  headers: Record<string, string>;
}

/** How a call ended. */
export interface Outcome {
  deployment: string | null;
  /** What the upstream reported, as counts; null when it did not (an error, a cut stream, an upstream that omits it or sends no counts). */
  usage: { promptTokens: number; completionTokens: number; cachedTokens?: number } | null;
  /** Completion tokens counted locally, used when `usage` is null. */
  completionEstimate?: number;
  status: number;
  errorType: string | null;
  ttftMs: number | null;
  stream: boolean;
}

/** Authentication, admission and settlement. */
export interface Access {
  /** The caller for a presented key; throws 401 (no, bad, revoked, expired key) or 503 (store down). */
  authenticate(token: string | null): Promise<Caller>;
  /** True only for the master key. */
  isMaster(token: string | null): boolean;
  /** The master caller; throws 401 (no or bad key) or 403 (a valid key that is not the master key). */
  authenticateMaster(token: string | null): Promise<Caller>;
  /** Whether the caller may use a model at all. */
  allows(caller: Caller, model: string): boolean;
  /**
   * Checks model, budget and RPM first, then measures the prompt and counts it against TPM, then
   * reserves the worst case (prompt plus largest output times `n`) against the budgets; throws 403 or 429.
   */
  admit(caller: Caller, request: ChatCompletionRequest): Promise<Reservation>;
  /** Records the outcome; never throws, never waits on the store. */
  settle(reservation: Reservation, outcome: Outcome): void;
  /** Forgets a cached key (after an admin changed it). */
  forget(id: string): void;
  /**
   * Whether key `keyId` exists and is not revoked, as this replica knows it (a revocation made here
   * counts at once, one made elsewhere within `keyCacheMs`); for what outlives an admitted call:
   * running streams and follow tokens (see revocation.ts). Throws 503 when the store is down and the key is not cached.
   */
  keyActive(keyId: string): Promise<boolean>;
  /** Called by the ledger after rows reached the store. */
  flushed(rows: UsageRow[]): void;
}

/** What the access service is built from. */
export interface AccessOptions {
  masterKey: string;
  store: Store;
  limiter: Limiter;
  budgets: Budgets;
  ledger: Ledger;
  prices: PriceTable;
  keyCacheMs: number;
  /** Output tokens per choice reserved against budgets when a request sets no `max_tokens`. */
  defaultOutputTokens: number;
  log: Logger;
}

/** Creates the access service. */
export function createAccess(options: AccessOptions): Access {
  const { store, limiter, budgets, ledger, log } = options;
  const masterHash = hashKey(options.masterKey);
  const cache = new Map<string, { key: KeyRecord; at: number }>();
  // Bounded (oldest out first), so that guessed ids cannot grow it.
  const unknown = new Map<string, number>();
  const unknownTtlMs = Math.max(options.keyCacheMs, UNKNOWN_TTL_MIN_MS);
  const rememberUnknown = (id: string) => {
    unknown.delete(id);
    unknown.set(id, Date.now());
    if (unknown.size > MAX_UNKNOWN_IDS) unknown.delete(unknown.keys().next().value as string);
  };
  // Spend settled here but not yet in the store (the ledger is batched); budgets add it to the stored spend.
  const unflushed = new Map<string, { tokens: number; usd: number }>();
  const activeChecks = new Map<string, Promise<KeyRecord | null>>();

  const lookup = async (id: string): Promise<KeyRecord | null> => {
    const cached = cache.get(id);
    if (cached && Date.now() - cached.at < options.keyCacheMs) return cached.key;
    const missedAt = unknown.get(id);
    if (missedAt !== undefined && Date.now() - missedAt < unknownTtlMs) return null;
    try {
      const key = await store.findKey(id);
      if (key) {
        cache.set(id, { key, at: Date.now() });
        unknown.delete(id);
      } else {
        cache.delete(id);
        rememberUnknown(id);
      }
      return key;
    } catch (err) {
      if (cached && Date.now() - cached.at < STALE_MS) {
        log.warn({ err: { message: (err as Error).message }, keyId: id }, "key store unreachable; using the cached key");
        return cached.key;
      }
      log.error({ err: { message: (err as Error).message } }, "key store unreachable; refusing keys not in the cache");
      throw new ServiceUnavailableError("The gateway cannot verify API keys right now; try again shortly.", {
        code: "store_unavailable",
        headers: { "retry-after": "1" },
      });
    }
  };

  const isMaster = (token: string | null) => token !== null && token !== "" && sameHash(hashKey(token), masterHash);

  const spentOf = (key: KeyRecord) => {
    const pending = unflushed.get(key.id);
    return { tokens: key.spentTokens + (pending?.tokens ?? 0), usd: key.spentUsd + (pending?.usd ?? 0) };
  };

  return {
    isMaster,

    async authenticateMaster(token) {
      if (isMaster(token)) return { kind: "master" };
      if (!token) throw new AuthenticationError("You didn't provide an API key: this needs the master key.", { type: "invalid_request_error" });
      await this.authenticate(token);
      throw new PermissionDeniedError("This needs the master key.", { code: "master_key_required" });
    },

    async authenticate(token) {
      if (!token) {
        throw new AuthenticationError("You didn't provide an API key. Send it as 'Authorization: Bearer <key>' (or the 'api-key' header).", {
          type: "invalid_request_error",
        });
      }
      // One hash per call: it is compared with the master key's and then with the key's own.
      const hash = hashKey(token);
      if (sameHash(hash, masterHash)) return { kind: "master" };
      const incorrect = () => new AuthenticationError(`Incorrect API key provided: ${redactKey(token)}.`, { type: "invalid_request_error" });
      const id = keyIdOf(token);
      if (!id) throw incorrect();
      const key = await lookup(id);
      if (!key || !sameHash(hash, key.hash)) throw incorrect();
      if (key.revokedAt) throw new AuthenticationError(`The API key ${redactKey(token)} has been revoked.`, { type: "invalid_request_error" });
      if (key.expiresAt && key.expiresAt.getTime() <= Date.now()) {
        throw new AuthenticationError(`The API key ${redactKey(token)} expired at ${key.expiresAt.toISOString()}.`, { type: "invalid_request_error" });
      }
      return { kind: "key", key };
    },

    allows(caller, model) {
      if (caller.kind === "master" || caller.key.models == null) return true;
      return caller.key.models.some((m) => (m.endsWith("*") ? model.startsWith(m.slice(0, -1)) : m === model));
    },

    async admit(caller, request) {
      const startedAt = Date.now();
      if (caller.kind === "master") return { caller, model: request.model, estimate: estimatePromptTokens(request), startedAt, headers: {} };
      const key = caller.key;
      // Cheap checks first (allow-list, budget, RPM): the prompt is measured only for a call that may run.
      if (!this.allows(caller, request.model)) {
        throw new PermissionDeniedError(`The API key ${key.id} does not have access to model '${request.model.slice(0, 256)}'.`, {
          type: "invalid_request_error",
          param: "model",
          code: "model_not_found",
        });
      }
      const spent = spentOf(key);
      if ((key.budgetTokens != null && spent.tokens >= key.budgetTokens) || (key.budgetUsd != null && spent.usd >= key.budgetUsd)) {
        throw new InsufficientQuotaError(`The API key ${key.id} has used up its budget. Ask an admin to raise it.`);
      }
      const taken = await limiter.take(key.id, key, () => estimatePromptTokens(request));
      const headers = rateLimitHeaders(taken);
      if (taken.exceeded) throw rateLimited(key, taken, headers);
      const estimate = taken.estimate || estimatePromptTokens(request);
      const worst = worstCase(request, estimate, options.defaultOutputTokens);
      const worstUsd = costOf(options.prices, { deployment: null, model: request.model }, worst) ?? 0;
      const hold = await budgets.reserve(key.id, {
        limits: key,
        spent,
        worst: { tokens: worst.promptTokens + worst.completionTokens, usd: worstUsd },
      });
      if (!hold) {
        await limiter.refund(key.id, key, estimate).catch(() => undefined);
        throw new InsufficientQuotaError(
          `The API key ${key.id} has not enough budget left for this request's worst case (${worst.promptTokens} prompt + ${worst.completionTokens} completion tokens); ask for fewer output tokens (max_tokens, max_completion_tokens, max_output_tokens) or fewer choices (n), or ask an admin to raise the budget.`,
        );
      }
      return { caller, model: request.model, estimate, startedAt, headers, hold };
    },

    settle(reservation, outcome) {
      // Usage is read from upstreams through `upstreamUsage`; checked again here, because a count
      // that is not one would become budget credit, a broken token window or an unwritable row.
      const usage = checkedUsage(outcome.usage);
      const completionEstimate = tokenCount(outcome.completionEstimate) ?? 0;
      const promptTokens = usage?.promptTokens ?? (outcome.status < 400 || completionEstimate ? reservation.estimate : 0);
      const completionTokens = usage?.completionTokens ?? completionEstimate;
      const keyId = reservation.caller.kind === "key" ? reservation.caller.key.id : null;
      const costUsd = costOf(
        options.prices,
        { deployment: outcome.deployment, model: reservation.model },
        { promptTokens, completionTokens, cachedTokens: usage?.cachedTokens },
      );
      if (keyId && reservation.caller.kind === "key") {
        const delta = promptTokens + completionTokens - reservation.estimate;
        limiter
          .adjustTokens(keyId, reservation.caller.key, delta)
          .catch((err: unknown) => log.warn({ err: { message: (err as Error).message } }, "could not settle a token window"));
        const pending = unflushed.get(keyId) ?? { tokens: 0, usd: 0 };
        pending.tokens += promptTokens + completionTokens;
        pending.usd += costUsd ?? 0;
        unflushed.set(keyId, pending);
      }
      reservation.hold?.release({ tokens: promptTokens + completionTokens, usd: costUsd ?? 0 });
      ledger.record({
        at: new Date(reservation.startedAt),
        keyId,
        model: reservation.model,
        deployment: outcome.deployment,
        promptTokens,
        completionTokens,
        latencyMs: Date.now() - reservation.startedAt,
        ttftMs: outcome.ttftMs,
        status: outcome.status,
        errorType: outcome.errorType,
        costUsd,
        stream: outcome.stream,
      });
    },

    forget(id) {
      cache.delete(id);
      unknown.delete(id);
    },

    async keyActive(keyId) {
      // Streams of one key ask together when its cached copy expires: one store query answers them all.
      let pending = activeChecks.get(keyId);
      if (!pending) {
        pending = lookup(keyId).finally(() => activeChecks.delete(keyId));
        activeChecks.set(keyId, pending);
      }
      const key = await pending;
      return key !== null && key.revokedAt === null;
    },

    flushed(rows) {
      for (const row of rows) {
        if (!row.keyId) continue;
        const tokens = row.promptTokens + row.completionTokens;
        const usd = row.costUsd ?? 0;
        const pending = unflushed.get(row.keyId);
        if (pending) {
          pending.tokens -= tokens;
          pending.usd -= usd;
          if (pending.tokens <= 0 && pending.usd <= 0) unflushed.delete(row.keyId);
        }
        // The cached copy was read before this flush; it now has to carry what moved out of `unflushed`.
        const cached = cache.get(row.keyId);
        if (cached) cached.key = { ...cached.key, spentTokens: cached.key.spentTokens + tokens, spentUsd: cached.key.spentUsd + usd };
      }
    },
  };
}

/** The most a call can use: its prompt, and its output cap (or the default) for every choice. */
function worstCase(request: ChatCompletionRequest, estimate: number, defaultOutputTokens: number) {
  const cap = request.max_completion_tokens ?? request.max_tokens ?? defaultOutputTokens;
  return { promptTokens: estimate, completionTokens: cap * (request.n ?? 1) };
}

function rateLimited(key: KeyRecord, taken: TakeResult, headers: Record<string, string>): RateLimitError {
  const estimate = taken.estimate;
  const kind = taken.exceeded!;
  const window = kind === "requests" ? taken.requests : taken.tokens;
  const wait = retryAfter(window);
  const label = kind === "requests" ? "requests per min (RPM)" : "tokens per min (TPM)";
  const requested = kind === "requests" ? 1 : estimate;
  const used = window ? window.limit - window.remaining : 0;
  return new RateLimitError(
    `Rate limit reached for API key ${key.id} on ${label}: Limit ${window?.limit}, Used ${used}, Requested ${requested}. Please try again in ${wait["retry-after"]}s.`,
    { type: kind, headers: { ...headers, ...wait } },
  );
}
