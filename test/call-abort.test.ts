/** The per-call abort controller behaves as Node's does for everything the gateway asks of a signal. */
import { once } from "node:events";
import { describe, expect, it } from "vitest";
import { CallAbortController } from "../server/lib/call-abort.js";

describe("CallAbortController", () => {
  it("aborts once, with an AbortError by default, calling onabort and each listener once", () => {
    const controller = new CallAbortController();
    const seen: string[] = [];
    controller.signal.onabort = () => seen.push("onabort");
    controller.signal.addEventListener("abort", () => seen.push("listener"), { once: true });
    expect(controller.signal.aborted).toBe(false);
    expect(() => controller.signal.throwIfAborted()).not.toThrow();
    controller.abort();
    controller.abort(new Error("again"));
    expect(seen).toEqual(["onabort", "listener"]);
    expect(controller.signal.aborted).toBe(true);
    expect((controller.signal.reason as DOMException).name).toBe("AbortError");
    expect(() => controller.signal.throwIfAborted()).toThrow(controller.signal.reason as Error);
  });

  it("keeps the reason it was given, and a removed listener is not called", () => {
    const controller = new CallAbortController();
    let called = 0;
    const listener = () => called++;
    controller.signal.addEventListener("abort", listener);
    controller.signal.removeEventListener("abort", listener);
    const reason = new Error("timed out");
    controller.abort(reason);
    expect(controller.signal.reason).toBe(reason);
    expect(called).toBe(0);
  });

  it("is accepted by Node's own signal-taking APIs", async () => {
    const controller = new CallAbortController();
    const target = new EventTarget();
    const waiting = once(target, "never", { signal: controller.signal });
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ name: "AbortError" });
  });
});
