/**
 * The CLI's server-side commands, which need no running gateway:
 *
 *   languru serve [--config FILE] [--port N] [--host H]   run the gateway in this process
 *   languru check-config FILE                             validate, print the resolved config (secrets masked)
 *   languru models [--config FILE]                        list what the config makes routable
 *
 * `serve` runs the server in the CLI's own process (no wrapper), so SIGHUP and SIGTERM sent to it
 * reach the server.
 */
import { parseArgs } from "node:util";

const help: Record<ServerCommand, string> = {
  serve: `usage: languru serve [--config FILE] [--port N] [--host H]
  Runs the gateway in this process. --config sets LANGURU_CONFIG, --port PORT, --host HOST;
  every other setting comes from the environment (see the README). Signals: SIGHUP reloads the
  config, SIGTERM/SIGINT drain in-flight requests and exit.`,
  "check-config": `usage: languru check-config FILE
  Validates FILE (and the environment, as serve would read it) and prints the resolved config
  as JSON with every secret masked. Exit 0 when valid, 1 when not (the message names the field).`,
  models: `usage: languru models [--config FILE]
  Lists the models the config makes routable (discovery included) and the deployments behind them.`,
};

/** The commands this file handles. */
export type ServerCommand = "serve" | "check-config" | "models";

/** True for a command handled here. */
export function isServerCommand(name: string | undefined): name is ServerCommand {
  return name === "serve" || name === "check-config" || name === "models";
}

/** Runs one command; `serve` resolves once the server listens, the others once their output is written. */
export async function runServerCommand(command: ServerCommand, argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { config: { type: "string" }, port: { type: "string" }, host: { type: "string" }, help: { type: "boolean", short: "h" } },
    allowPositionals: command === "check-config",
  });
  if (values.help) {
    process.stdout.write(`${help[command]}\n`);
    return;
  }
  if (command === "serve") {
    if (values.config) process.env.LANGURU_CONFIG = values.config;
    if (values.port) process.env.PORT = values.port;
    if (values.host) process.env.HOST = values.host;
    const { watchNpmParent } = await import("./npm-parent.js");
    watchNpmParent();
    await import("../server/main.js");
    return;
  }
  // These print JSON on stdout; log lines would mix into it.
  process.env.LOG_LEVEL = "silent";
  const { ConfigError, loadConfig } = await import("../server/config.js");
  const file = command === "check-config" ? positionals[0] : values.config;
  if (command === "check-config" && (!file || positionals.length > 1)) throw new Error(help[command]);
  let config: Awaited<ReturnType<typeof loadConfig>>;
  try {
    config = loadConfig(file ? { ...process.env, LANGURU_CONFIG: file } : process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`languru: ${err.message}\n`);
    process.exitCode = 1;
    return;
  }
  if (command === "check-config") {
    const { maskSecrets } = await import("./mask.js");
    process.stdout.write(`${JSON.stringify(maskSecrets(config), null, 2)}\n`);
    process.stderr.write("configuration is valid\n");
    return;
  }
  const { createChatService } = await import("../server/chat/service.js");
  const chat = createChatService(config);
  await chat.ready();
  const data = chat.models().map((m) => ({ id: m.id, owned_by: m.owned_by }));
  const deployments = chat.deployments().map((d) => ({ id: d.id, model: d.model }));
  await chat.close();
  process.stdout.write(`${JSON.stringify({ object: "list", data, deployments }, null, 2)}\n`);
}
