/** The API key, kept for this browser tab only (sessionStorage): closing the tab forgets it. */
const KEY = "languru.apiKey";

/** The key saved in this tab, or null. */
export function loadApiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

/** Saves (or, with null, forgets) the key for this tab. */
export function saveApiKey(key: string | null): void {
  try {
    if (key) sessionStorage.setItem(KEY, key);
    else sessionStorage.removeItem(KEY);
  } catch {
    // Storage can be disabled (private modes); the key then lives in memory until reload.
  }
}
