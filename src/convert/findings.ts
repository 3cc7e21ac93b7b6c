// Collects the findings about one input object, so converter code says only what is wrong.

import type { Finding, Level } from './types.js';

export class Findings {
  readonly list: Finding[] = [];

  constructor(
    private readonly source: string,
    private readonly object: string,
  ) {}

  add(level: Level, field: string, message: string): void {
    this.list.push({ source: this.source, object: this.object, field, level, message });
  }

  unconverted(field: string, message: string): void {
    this.add('unconverted', field, message);
  }

  warning(field: string, message: string): void {
    this.add('warning', field, message);
  }

  note(field: string, message: string): void {
    this.add('note', field, message);
  }
}

const LABEL: Record<Level, string> = { unconverted: 'not converted', warning: 'WARNING', note: 'note' };

export function formatFinding(f: Finding): string {
  return `${f.source}: ${f.object}: ${f.field}: ${LABEL[f.level]}: ${f.message}`;
}

export function countFindings(findings: Finding[]): Record<Level, number> {
  const counts: Record<Level, number> = { unconverted: 0, warning: 0, note: 0 };
  for (const f of findings) counts[f.level]++;
  return counts;
}
