// Relative links in Markdown pages: which files and headings they point at, and which of those
// do not exist. GitHub's rules: a heading's anchor is its text in lower case, with everything
// but letters, digits, spaces, '-' and '_' removed and each space made a '-'; a repeated heading
// gets '-1', '-2', ... Headings and links inside fenced code blocks are not Markdown.

import fs from 'node:fs';
import path from 'node:path';

/** The lines of a page outside fenced code blocks, each with its 1-based line number. */
function prose(text: string): Array<{ line: string; n: number }> {
  const out: Array<{ line: string; n: number }> = [];
  let fence: string | undefined;
  text.split('\n').forEach((line, i) => {
    const m = /^\s*(```+|~~~+)/.exec(line);
    if (m) {
      if (!fence) fence = m[1]![0]!;
      else if (m[1]![0] === fence) fence = undefined;
      return;
    }
    if (!fence) out.push({ line, n: i + 1 });
  });
  return out;
}

/** GitHub's anchor for a heading's text. */
export function slug(heading: string): string {
  const text = heading
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/`/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
}

/** Every anchor a page defines. */
export function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  for (const { line } of prose(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    out.add(count === 0 ? base : `${base}-${count}`);
  }
  return out;
}

/** The relative links of a page (not URLs with a scheme, not mailto:), with their line. */
export function relativeLinks(text: string): Array<{ target: string; n: number }> {
  const out: Array<{ target: string; n: number }> = [];
  for (const { line, n } of prose(text)) {
    const withoutCode = line.replace(/`[^`]*`/g, '');
    for (const m of withoutCode.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      const target = m[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      out.push({ target, n });
    }
  }
  return out;
}

/** "file:line: target: why" for each relative link of `file` that points at nothing. */
export function brokenLinks(file: string, read: (f: string) => string | undefined = readIfFile): string[] {
  const text = read(file);
  if (text === undefined) return [`${file}: not found`];
  const broken: string[] = [];
  for (const { target, n } of relativeLinks(text)) {
    const [pathPart, fragment] = target.split('#', 2) as [string, string | undefined];
    const dest = pathPart === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(pathPart));
    const where = `${file}:${n}: ${target}`;
    if (pathPart !== '' && !fs.existsSync(dest)) {
      broken.push(`${where}: no such file`);
      continue;
    }
    if (fragment === undefined || !dest.endsWith('.md')) continue;
    const destText = dest === file ? text : read(dest);
    if (destText === undefined || !anchors(destText).has(fragment)) broken.push(`${where}: no such heading`);
  }
  return broken;
}

function readIfFile(f: string): string | undefined {
  return fs.existsSync(f) && fs.statSync(f).isFile() ? fs.readFileSync(f, 'utf8') : undefined;
}
