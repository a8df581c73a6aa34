/** Turns a zod failure into the InvalidRequestError both doors send, naming the field as `param`. */
import type { z } from "zod";
import { InvalidRequestError } from "./errors.js";

/** `messages[0].content` from `["messages", 0, "content"]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string | null {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? null : out;
}

/**
 * The first issue of a zod error as a 400 with `param`; `rename` maps the checked field's path to
 * the one the client sent, when the checked body is a translation of the client's.
 */
export function fromZodError(error: z.ZodError, rename: (param: string) => string = (param) => param): InvalidRequestError {
  const issue = error.issues[0];
  if (!issue) return new InvalidRequestError("invalid request body");
  const deepest = deepestIssue(issue);
  const path = formatPath(deepest.path);
  const param = path === null ? null : rename(path);
  const message = param ? `Invalid value for '${param}': ${deepest.message}` : `Invalid request: ${deepest.message}`;
  return new InvalidRequestError(message, { param, code: param ? "invalid_value" : "invalid_request" });
}

// A union failure (e.g. a message with a bad content part) reports its branches' issues nested; the
// innermost path names the actual field, which is what a user needs to fix. Among equally deep
// branches, one whose type did not even match (`expected string, received array` for a 5-item
// `stop`) explains least, so a branch that matched the type but broke a rule wins.
function deepestIssue(issue: z.core.$ZodIssue): z.core.$ZodIssue {
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const branches = issue.errors.map((branch) => branch[0]).filter((i): i is z.core.$ZodIssue => i !== undefined);
    const best = branches.sort((a, b) => relevance(b) - relevance(a))[0];
    if (best) return deepestIssue({ ...best, path: [...issue.path, ...best.path] });
  }
  return issue;
}

function relevance(issue: z.core.$ZodIssue): number {
  const typeMismatch = issue.code === "invalid_type" && issue.path.length === 0;
  return issue.path.length * 2 + (typeMismatch ? 0 : 1);
}
