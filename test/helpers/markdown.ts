/** Reads the user docs as tests need them: fenced code blocks, shell commands, links and anchors. */

/** One fenced code block: its language tag, its text and the line it starts on. */
export interface CodeBlock {
  lang: string;
  code: string;
  line: number;
}

/** Every fenced block of a markdown text, in order. */
export function codeBlocks(markdown: string): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\w*)\s*$/.exec(lines[i] ?? "");
    if (!open) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i] ?? ""); i++) body.push(lines[i] ?? "");
    blocks.push({ lang: open[1] ?? "", code: body.join("\n"), line: start + 1 });
  }
  return blocks;
}

/** The commands of a shell block: continuation lines joined, comments and blank lines dropped. */
export function shellCommands(code: string): string[] {
  return code
    .replace(/\\\n\s*/g, " ")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"));
}

/**
 * A command line split into words as a POSIX shell would for the quoting the docs use: single
 * quotes, double quotes, and a trailing `# comment`. No expansion: `$(...)` and `$VAR` stay as written.
 */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let quote: "'" | '"' | null = null;
  for (const char of line) {
    if (quote) {
      if (char === quote) quote = null;
      else word += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      word ??= "";
    } else if (char === " " || char === "\t") {
      if (word !== null) words.push(word);
      word = null;
    } else if (char === "#" && word === null) {
      break;
    } else {
      word = (word ?? "") + char;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** A curl command as the docs write them: URL, method, headers, body. */
export interface CurlRequest {
  url: string;
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Parses the curl flags the docs use (`-s`, `-N`, `-H`, `-d`, `-X`); anything else is an error, so a new flag gets handled here. */
export function parseCurl(words: string[]): CurlRequest {
  const at = words.indexOf("curl");
  if (at === -1) throw new Error(`not a curl command: ${words.join(" ")}`);
  const request: CurlRequest = { url: "", method: "GET", headers: {} };
  for (let i = at + 1; i < words.length; i++) {
    const word = words[i] ?? "";
    if (word === "-s" || word === "-N" || word === "-sN") continue;
    if (word === "-H") {
      const [name, ...value] = (words[++i] ?? "").split(":");
      request.headers[(name ?? "").trim().toLowerCase()] = value.join(":").trim();
    } else if (word === "-d") {
      request.body = words[++i] ?? "";
      if (request.method === "GET") request.method = "POST";
    } else if (word === "-X") {
      request.method = words[++i] ?? "GET";
    } else if (!word.startsWith("-") && !request.url) {
      request.url = word;
    } else {
      throw new Error(`curl flag the docs test does not know: ${word}`);
    }
  }
  return request;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, "")
    .replace(/\s/g, "-");
}

/** The anchors of a markdown text's headings (outside code blocks). */
export function anchors(markdown: string): Set<string> {
  const found = new Set<string>();
  let inCode = false;
  for (const line of markdown.split("\n")) {
    if (/^```/.test(line)) inCode = !inCode;
    const heading = !inCode && /^#{1,6}\s+(.*)$/.exec(line);
    if (heading) found.add(headingAnchor(heading[1] ?? ""));
  }
  return found;
}

/** Every `[text](target)` link outside code blocks. */
export function links(markdown: string): string[] {
  const prose = markdown.replace(/^```[\s\S]*?^```/gm, "");
  return [...prose.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? "");
}
