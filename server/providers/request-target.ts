/**
 * The request-target of an upstream call: the base URL's path, the call's path below it, and a
 * query that merges the base URL's parameters (Azure OpenAI's `api-version`, a proxy's token)
 * with the call's own (Gemini's `alt=sse`, a discovery page's `pageSize`/`pageToken`), so a call
 * whose path has a query never gains a second `?`. Everything that depends on the base URL alone is
 * worked out once per transport; a path without `?` costs one `indexOf` more than before and gets
 * exactly the target it always did.
 */

/** Builds request-targets for one base URL: `(path) => target`. */
export function requestTargetOf(base: URL): (path: string) => string {
  const prefix = base.pathname.replace(/\/+$/, "");
  // `URL` gives the query already percent-encoded, and keeps any encoding the config wrote.
  const search = base.search;
  const baseParams = pairsOf(search.slice(1)).map((pair) => ({ pair, name: nameOf(pair) }));

  return (path) => {
    const mark = path.indexOf("?");
    if (mark === -1 || baseParams.length === 0) return `${prefix}${path}${search}`;
    const own = pairsOf(path.slice(mark + 1));
    // On a name both carry, the call's wins: it is what this call's protocol needs (`alt=sse` is what
    // makes Gemini answer an event stream, `pageToken` is which page), where the base's are defaults
    // for every call; and one value only, since servers disagree on whether the first or last counts.
    const taken = new Set(own.map(nameOf));
    const query = own.concat(baseParams.filter((p) => !taken.has(p.name)).map((p) => p.pair)).join("&");
    return `${prefix}${path.slice(0, mark)}${query === "" ? "" : `?${query}`}`;
  };
}

// The `name=value` pieces of a query without its `?`, empty pieces (`a=1&&b=2`) dropped.
function pairsOf(query: string): string[] {
  return query === "" ? [] : query.split("&").filter((pair) => pair !== "");
}

// A parameter's name as a server reads it, so `api%2Dversion` and `api-version` are one name;
// the pair itself is sent as written. A malformed escape is compared as written.
function nameOf(pair: string): string {
  const end = pair.indexOf("=");
  const name = end === -1 ? pair : pair.slice(0, end);
  if (!name.includes("%") && !name.includes("+")) return name;
  try {
    return decodeURIComponent(name.replace(/\+/g, " "));
  } catch {
    return name;
  }
}
