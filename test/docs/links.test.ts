// The README is short and links one docs/ page per topic: every relative link in README.md and
// docs/*.md must reach an existing file and, with a #fragment, an existing heading, so moving a
// section cannot leave a link behind. The checker itself is tested on pages written here.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { anchors, brokenLinks, slug } from '../helpers/markdown-links.js';
import { repoRoot } from '../helpers/wsgate-child.js';

const pages = () => [
  path.join(repoRoot, 'README.md'),
  ...fs.readdirSync(path.join(repoRoot, 'docs')).filter((f) => f.endsWith('.md')).map((f) => path.join(repoRoot, 'docs', f)),
];

describe('documentation links', () => {
  it('every relative link in README.md and docs/*.md points at an existing file and heading', () => {
    const broken = pages().flatMap((p) => brokenLinks(p)).map((b) => path.relative(repoRoot, b));
    assert.deepEqual(broken, []);
  });

  it('the README stays short and reaches every docs/ page in one click', () => {
    const readme = fs.readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    assert.ok(readme.split('\n').length <= 320, `README.md has ${readme.split('\n').length} lines`);
    const unlinked = fs.readdirSync(path.join(repoRoot, 'docs'))
      .filter((f) => f.endsWith('.md') && !readme.includes(`](docs/${f}`));
    assert.deepEqual(unlinked, []);
  });

  it('anchors follow GitHub: punctuation dropped, spaces to hyphens, repeats numbered', () => {
    assert.equal(slug('Every core: `--workers`'), 'every-core---workers');
    assert.equal(slug("Upgrades without http-proxy-3's `ws()`"), 'upgrades-without-http-proxy-3s-ws');
    assert.deepEqual([...anchors('# A\n## B\n```\n# not a heading\n```\n## B\n')], ['a', 'b', 'b-1']);
  });

  it('reports a missing file, a missing heading, and ignores URLs and code', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'wsgate-links-'));
    try {
      fs.writeFileSync(path.join(dir, 'other.md'), '# Other\n## Known part\n');
      const page = path.join(dir, 'page.md');
      fs.writeFileSync(page, [
        '# Page',
        '[ok](other.md#known-part) [self](#page) [web](https://example.com/x.md)',
        '[gone](missing.md) [bad anchor](other.md#unknown) `[code](nowhere.md)`',
        '```',
        '[fenced](nowhere.md)',
        '```',
      ].join('\n'));
      assert.deepEqual(brokenLinks(page).map((b) => path.relative(dir, b)), [
        'page.md:3: missing.md: no such file',
        'page.md:3: other.md#unknown: no such heading',
      ]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
