/** Scrapes `/metrics` and reads it with a real Prometheus text-format parser (parse-prometheus-text-format). */
import parsePrometheusTextFormat, { type PrometheusFamily } from "parse-prometheus-text-format";

/** A parsed scrape. */
export class Scrape {
  /**
   * @param families the whole scrape, as parsed (which also validates every line).
   * @param series the same text parsed once more with histogram families declared untyped, so that
   *   `<name>_count` and `<name>_sum` come out per label set: the parser merges the series of a
   *   labelled histogram into one bucket map.
   */
  constructor(
    readonly families: PrometheusFamily[],
    private readonly series: PrometheusFamily[],
  ) {}

  /** The family of that name, if exposed. */
  family(name: string): PrometheusFamily | undefined {
    return this.families.find((f) => f.name === name);
  }

  /**
   * Sum of the values (counters, gauges) or observation counts (histograms) of every series whose
   * labels include `labels`; 0 when none. A family that is not exposed at all throws: a misspelt
   * name must not read as a zero that an assertion then agrees with.
   */
  value(name: string, labels: Record<string, string> = {}): number {
    const family = this.family(name);
    if (!family) throw new Error(`no metric family '${name}' in the scrape`);
    const histogram = family.type === "HISTOGRAM";
    // prom-client writes a labelled histogram series by series, so one name can head several families here.
    const samples = this.series.filter((f) => f.name === (histogram ? `${name}_count` : name)).flatMap((f) => f.metrics);
    return samples.filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)).reduce((sum, m) => sum + Number(m.value ?? 0), 0);
  }
}

/** Parses a scrape's text. */
export function parseScrape(text: string): Scrape {
  const untyped = text
    .split("\n")
    .map((line) => (line.startsWith("# TYPE ") && line.endsWith(" histogram") ? line.replace(/ histogram$/, " untyped") : line))
    .join("\n");
  return new Scrape(parsePrometheusTextFormat(text), parsePrometheusTextFormat(untyped));
}

/** GETs `/metrics` (with optional headers) and parses it; throws on a non-200. */
export async function scrape(baseURL: string, headers: Record<string, string> = {}): Promise<Scrape> {
  const res = await fetch(`${baseURL}/metrics`, { headers });
  if (res.status !== 200) throw new Error(`/metrics answered ${res.status}: ${await res.text()}`);
  if (!res.headers.get("content-type")?.startsWith("text/plain; version=0.0.4")) throw new Error(`unexpected content type ${res.headers.get("content-type")}`);
  return parseScrape(await res.text());
}
