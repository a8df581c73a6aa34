/** `npm start`: load the config, listen, log one startup line, and shut down gracefully on SIGTERM/SIGINT. */
import { type Config, ConfigError, loadConfig } from "./config.js";
import { listen, type Gateway } from "./http.js";
import { log } from "./log.js";

// One request's bug must not take every other stream down: an unexpected rejection is logged, not fatal.
process.on("unhandledRejection", (reason) => {
  log.error(
    { err: reason instanceof Error ? { message: reason.message, stack: reason.stack } : { message: String(reason) } },
    "unhandled rejection (kept running)",
  );
});

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      log.fatal(err.message);
      process.exit(1);
    }
    throw err;
  }
  let gateway: Gateway;
  try {
    gateway = await listen(config);
  } catch (err) {
    // A port in use, a store that cannot open: say so in one line, not a stack trace.
    log.fatal({ err: (err as Error).message }, `cannot start: ${(err as Error).message}`);
    process.exit(1);
  }
  const models = gateway.services.chat.models().map((m) => m.id);
  log.info({ url: gateway.url(), models }, `languru listening on ${gateway.url()} serving ${models.join(", ")}`);

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down: no new connections, waiting for in-flight requests");
    void gateway.close().then(() => {
      log.info("stopped");
      process.exit(0);
    });
  };
  process.on("SIGTERM", () => stop("SIGTERM"));
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGHUP", () => void reload(gateway));
}

/**
 * SIGHUP: read the config again. A valid one takes over for new requests while in-flight streams
 * finish on the old one; an invalid one is refused with a line naming the field, and the old one
 * keeps serving. Listening settings (PORT, HOST) need a restart.
 */
async function reload(gateway: Gateway): Promise<void> {
  let next: Config;
  try {
    next = loadConfig();
  } catch (err) {
    log.error({ err: (err as Error).message }, `config reload refused, keeping the running config: ${(err as Error).message}`);
    return;
  }
  await gateway.services.chat.reload(next);
  const models = gateway.services.chat.models().map((m) => m.id);
  log.info({ models }, `config reloaded; serving ${models.join(", ")}`);
}

void main();
