/// <reference types="vite/client" />

interface ImportMetaEnv {
  /** The gateway's base URL; the page's own origin when unset. */
  readonly VITE_LANGURU_URL?: string;
}
