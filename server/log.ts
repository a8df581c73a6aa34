/**
 * The process logger (pino: JSON lines). `LOG_LEVEL` sets the level; `LOG_FORMAT=pretty` renders
 * lines for a terminal through pino-pretty when it is installed (a dev dependency). Provider keys
 * never reach it.
 */
import { createRequire } from "node:module";
import { pino } from "pino";
import { logSettingsFrom } from "./config.js";

const settings = logSettingsFrom(process.env);

/** Whether pino-pretty can be loaded (it is a dev dependency, absent from production installs). */
function prettyAvailable(): boolean {
  try {
    createRequire(import.meta.url).resolve("pino-pretty");
    return true;
  } catch {
    return false;
  }
}

const pretty = settings.logFormat === "pretty" && prettyAvailable();

/** The one logger of the server. */
export const log = pino({
  level: settings.logLevel,
  base: { service: "languru" },
  ...(pretty ? { transport: { target: "pino-pretty", options: { translateTime: "SYS:HH:MM:ss.l", ignore: "service" } } } : {}),
});

if (settings.logFormat === "pretty" && !pretty) log.warn("LOG_FORMAT=pretty needs pino-pretty (npm install pino-pretty); logging JSON");
