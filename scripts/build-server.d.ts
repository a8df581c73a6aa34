/** Types of `build-server.js` (plain JavaScript, so it runs without a compiler), for the tests and the bench. */

/** What is compiled, by set (`server`, `bench`): entry name to source file. */
export const SETS: Record<string, Record<string, string>>;
/** True when every bundle of `set` exists and no source it was made of changed since. */
export function isCurrent(set?: string): boolean;
/** Builds the bundles of `set`; throws when esbuild is not installed or a source does not compile. */
export function build(set?: string): Promise<void>;
/** The file URL of a current bundle (built first when stale); null when it cannot be built here. */
export function compiledEntry(name: string, set?: string): Promise<string | null>;
