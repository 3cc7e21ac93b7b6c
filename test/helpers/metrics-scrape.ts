import type { WsgateChild } from './wsgate-child.js';

/** The admin listener's /metrics text. */
export async function scrapeMetrics(gw: WsgateChild): Promise<string> {
  return (await fetch(`http://127.0.0.1:${gw.adminPort}/metrics`)).text();
}

/** The value of the first `name{...}` series whose labels contain `labels` (text), else 0. */
export function seriesValue(text: string, name: string, labels: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}
