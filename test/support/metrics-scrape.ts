/**
 * Reads a Prometheus text-format scrape (what /metrics serves) as a user of it would: the metric
 * families declared (`# TYPE name kind`) and the sample values by `name{labels}`.
 */

export interface Scrape {
  /** Family name -> kind (counter, gauge, histogram, ...). */
  readonly types: Map<string, string>;
  /** `name{label="value",...}` exactly as served -> value. */
  readonly samples: Map<string, number>;
  /** The value of `name` with exactly these labels (in the order served), or undefined. */
  value(name: string, labels?: Record<string, string>): number | undefined;
}

export function parseScrape(text: string): Scrape {
  const types = new Map<string, string>();
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line.startsWith('# TYPE ')) {
      const [name, kind] = line.slice('# TYPE '.length).split(' ');
      types.set(name as string, kind as string);
      continue;
    }
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    samples.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return {
    types,
    samples,
    value(name, labels = {}) {
      const wanted = Object.entries(labels);
      for (const [key, value] of samples) {
        const brace = key.indexOf('{');
        if ((brace === -1 ? key : key.slice(0, brace)) !== name) continue;
        const have = brace === -1 ? '' : key.slice(brace + 1, -1);
        const pairs = have === '' ? [] : have.split(/,(?=[a-zA-Z_]+=")/);
        if (pairs.length !== wanted.length) continue;
        if (wanted.every(([k, v]) => pairs.includes(`${k}="${v}"`))) return value;
      }
      return undefined;
    },
  };
}

/** GETs a /metrics URL and parses it; fails on anything but 200. */
export async function scrape(url: string): Promise<Scrape> {
  const response = await fetch(url);
  if (response.status !== 200) throw new Error(`${url} answered ${response.status}`);
  return parseScrape(await response.text());
}
