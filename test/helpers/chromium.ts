/** Debian's Chromium for browser tests (Playwright's own download cannot work here); tests skip visibly without it. */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";

/** Where `.ci/run` installs Chromium (apt-get install -y chromium). */
export const CHROMIUM = "/usr/bin/chromium";

/** True when the browser suites can run. */
export const hasChromium = existsSync(CHROMIUM);

/** Prints one line saying which suite was skipped and how to run it. */
export function warnIfNoChromium(suite: string): void {
  if (!hasChromium) console.warn(`[${suite}] SKIPPED: ${CHROMIUM} not found. Install Debian's chromium (apt-get install -y chromium); .ci/run does.`);
}

/** Launches headless Chromium with the flags a shared CI box needs. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
