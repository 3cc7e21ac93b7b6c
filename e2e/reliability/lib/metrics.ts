// The Prometheus text format, parsed just enough to read counters and gauges by label.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Metrics {
  samples: Sample[];
  /** Sum of every sample of `name` whose labels include `match`. */
  sum(name: string, match?: Record<string, string>): number;
  /** Per value of `label`, the sum of `name` (e.g. closes by code). */
  by(name: string, label: string, match?: Record<string, string>): Record<string, number>;
}

export function parseMetrics(text: string): Metrics {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    samples.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  const matches = (s: Sample, name: string, match: Record<string, string>) =>
    s.name === name && Object.entries(match).every(([k, v]) => s.labels[k] === v);
  return {
    samples,
    sum: (name, match = {}) => samples.filter((s) => matches(s, name, match)).reduce((a, s) => a + s.value, 0),
    by: (name, label, match = {}) => {
      const out: Record<string, number> = {};
      for (const s of samples) if (matches(s, name, match)) out[s.labels[label] ?? ''] = (out[s.labels[label] ?? ''] ?? 0) + s.value;
      return out;
    },
  };
}
