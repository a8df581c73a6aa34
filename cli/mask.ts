/** Masks every secret of a resolved config for `languru check-config`. */
import type { Config } from "../server/config.js";

const MASK = "***";

/** The config with keys, tokens, header values and URL passwords replaced by `***` (unset ones stay null). */
export function maskSecrets(config: Config): Config {
  return {
    ...config,
    providers: config.providers.map((p) => ({
      ...p,
      apiKey: p.apiKey === "none" ? "none" : MASK,
      // Header values are often credentials (Azure's `api-key`); their names are enough to check a config.
      headers: Object.fromEntries(Object.keys(p.headers).map((name) => [name, MASK])),
    })),
    access: {
      ...config.access,
      masterKey: config.access.masterKey ? MASK : null,
      databaseUrl: maskUrl(config.access.databaseUrl),
      redisUrl: maskUrl(config.access.redisUrl),
    },
    observability: { ...config.observability, metricsToken: config.observability.metricsToken ? MASK : null },
  };
}

function maskUrl(url: string | undefined): string | undefined {
  if (!url) return url;
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = MASK;
    for (const name of [...parsed.searchParams.keys()]) if (/pass|secret|token|key/i.test(name)) parsed.searchParams.set(name, MASK);
    return parsed.toString();
  } catch {
    // Not a URL we can read: show nothing of it rather than a credential.
    return MASK;
  }
}
