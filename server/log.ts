/** The process logger (pino: JSON lines). `LOG_LEVEL` sets the level; provider keys never reach it. */
import { pino } from "pino";

/** The one logger of the server. */
export const log = pino({ level: process.env.LOG_LEVEL ?? "info", base: { service: "languru" } });
