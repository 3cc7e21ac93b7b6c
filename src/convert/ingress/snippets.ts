// configuration-snippet / server-snippet are raw nginx configuration: never interpreted.
// The one thing they commonly hold for WebSockets is the upgrade recipe (Upgrade and
// Connection headers, HTTP/1.1), which wsgate does by itself; those lines are dropped with a
// note, and every other statement is reported as not converted.

import type { Findings } from '../findings.js';
import { NGINX, NGINX_ORG, type Annotations } from './annotations.js';

const UPGRADE_RECIPE = [
  /^proxy_set_header\s+(upgrade|connection)\s+\S.*$/i,
  /^proxy_http_version\s+1\.1$/i,
];

export function checkSnippets(a: Annotations, f: Findings): void {
  const keys: Array<[string, string | undefined]> = [
    [NGINX + 'configuration-snippet', a.get('configuration-snippet')],
    [NGINX + 'server-snippet', a.get('server-snippet')],
    [NGINX_ORG + 'location-snippets', a.org('location-snippets')],
    [NGINX_ORG + 'server-snippets', a.org('server-snippets')],
  ];
  for (const [field, text] of keys) {
    if (text === undefined) continue;
    const { recipe, other } = splitSnippet(text);
    if (recipe.length > 0) f.note(field, `dropped ${recipe.map((s) => `"${s};"`).join(' ')}: wsgate forwards the upgrade itself`);
    if (other.length > 0) f.unconverted(field, `nginx configuration is not interpreted: ${other.map((s) => `"${s}"`).join(' ')}`);
  }
}

/** Statements of a snippet, comments removed; a block ({ ... }) stays whole in `other`. */
export function splitSnippet(text: string): { recipe: string[]; other: string[] } {
  const recipe: string[] = [];
  const other: string[] = [];
  const clean = text
    .split('\n')
    .map((l) => l.replace(/(^|\s)#.*$/, '').trim())
    .filter(Boolean)
    .join('\n');
  if (clean.includes('{')) return { recipe, other: clean ? [clean.replace(/\s+/g, ' ')] : [] };
  for (const raw of clean.split(';')) {
    const s = raw.replace(/\s+/g, ' ').trim();
    if (!s) continue;
    if (UPGRADE_RECIPE.some((re) => re.test(s))) recipe.push(s);
    else other.push(s + ';');
  }
  return { recipe, other };
}
