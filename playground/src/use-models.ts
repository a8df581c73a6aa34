/** Loads the model list once per client (a new key means a new client and a new list). */
import { useCallback, useEffect, useState } from "react";
import { LanguruError, type LanguruClient, type Model } from "../../client/index.js";

/** The model list, or why it could not be read. */
export interface ModelsState {
  models: Model[];
  error: LanguruError | null;
  loading: boolean;
  reload: () => void;
}

/** Reads `models.list` for `client`, aborting the call when the client changes or the page unmounts. */
export function useModels(client: LanguruClient): ModelsState {
  const [state, setState] = useState<Omit<ModelsState, "reload">>({ models: [], error: null, loading: true });
  const [attempt, setAttempt] = useState(0);
  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is how `reload` asks for another read.
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, loading: true }));
    client.models
      .list({ signal: controller.signal })
      .then((list) => setState({ models: list.data, error: null, loading: false }))
      .catch((err: unknown) => {
        if (controller.signal.aborted) return;
        setState({ models: [], error: err instanceof LanguruError ? err : new LanguruError(0, String(err)), loading: false });
      });
    return () => controller.abort();
  }, [client, attempt]);
  const reload = useCallback(() => setAttempt((n) => n + 1), []);
  return { ...state, reload };
}
