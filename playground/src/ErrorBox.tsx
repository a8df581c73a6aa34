/** One error as the page shows it: what happened, the gateway's message and its status/type/code. */
import type { LanguruError } from "../../client/index.js";
import { describeError } from "./describe-error.js";

/** Props of `ErrorBox`. */
export interface ErrorBoxProps {
  error: LanguruError;
  onRetry?: () => void;
}

/** An alert box with an optional retry button. */
export function ErrorBox({ error, onRetry }: ErrorBoxProps) {
  const view = describeError(error);
  return (
    <div className="error" role="alert" data-testid="error" data-status={error.status}>
      <strong>{view.title}</strong>
      <span>{view.detail}</span>
      <code>{view.meta}</code>
      {onRetry && (
        <button type="button" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}
