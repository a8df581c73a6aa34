/** A bounded wait: for work that may take longer than anyone should wait for it (startup, a registration). */

/** Resolves when `promise` settles (either way) or after `ms`, whichever comes first; never rejects, never holds the process open. */
export function settledWithin(promise: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    promise.then(done, done);
  });
}
