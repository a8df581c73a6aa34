/**
 * The page's API key and whether the gateway wants one. Keys are on once the gateway answered 401
 * (or a key is kept from earlier in this tab); until then the page shows no key button at all. A
 * 401 to a call that sent a key means that key is wrong (or revoked): the page forgets it and says
 * "incorrect key"; the keyless 401 that follows must not replace that with "a key is required".
 */
import { useCallback, useRef, useState } from "react";
import type { LanguruError } from "../../client/index.js";
import type { KeyPromptReason } from "./KeyDialog.js";
import { loadApiKey, saveApiKey } from "./session.js";

/** What `useApiKey` gives the page. */
export interface ApiKeyState {
  apiKey: string | null;
  /** The key as of now, for callbacks that outlive a render. */
  current: () => string | null;
  keysOn: boolean;
  prompt: KeyPromptReason | null;
  /** A 401 came back; `sentKey` says whether the call carried a key. */
  unauthorized: (error: LanguruError, sentKey: boolean) => void;
  /** The person opened the dialog. */
  ask: () => void;
  /** Uses `key` (null forgets it) and closes the dialog. */
  apply: (key: string | null) => void;
  cancel: () => void;
}

/** Holds the key (sessionStorage) and the key dialog's state. */
export function useApiKey(): ApiKeyState {
  const [apiKey, setApiKey] = useState<string | null>(loadApiKey);
  const keyRef = useRef(apiKey);
  const [keysOn, setKeysOn] = useState(apiKey !== null);
  const [prompt, setPrompt] = useState<KeyPromptReason | null>(null);
  const use = useCallback((key: string | null) => {
    saveApiKey(key);
    keyRef.current = key;
    setApiKey(key);
  }, []);
  const unauthorized = useCallback(
    (error: LanguruError, sentKey: boolean) => {
      setKeysOn(true);
      if (sentKey) {
        use(null);
        setPrompt({ kind: "incorrect", message: error.message });
      } else {
        // Already asking (maybe because a key was just refused): keep what the dialog says.
        setPrompt((shown) => shown ?? { kind: "required", message: null });
      }
    },
    [use],
  );
  return {
    apiKey,
    current: () => keyRef.current,
    keysOn,
    prompt,
    unauthorized,
    ask: () => setPrompt({ kind: "required", message: null }),
    apply: (key) => {
      use(key);
      setPrompt(null);
    },
    cancel: () => setPrompt(null),
  };
}
