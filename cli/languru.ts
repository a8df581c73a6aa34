/**
 * `languru serve | check-config | models`: the commands that load the server's own modules, run
 * through tsx's loader (bin/languru.js registers it for them only). The admin commands are
 * cli/admin.js, which needs no TypeScript and so starts fast.
 */
import { isServerCommand, runServerCommand } from "./server-commands.js";

const [command, ...rest] = process.argv.slice(2);
if (!isServerCommand(command)) throw new Error(`not a server command: ${command}`);
runServerCommand(command, rest).catch((err: unknown) => {
  process.stderr.write(`languru: ${(err as Error).message}\n`);
  process.exit(2);
});
