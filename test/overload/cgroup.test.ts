// Reading the cgroup memory limit and working set from fake cgroup directories.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readCgroupMemory } from '../../src/overload/cgroup.js';
import { tempDir } from '../helpers/wsgate-child.js';

function fakeCgroup(files: Record<string, string>): string {
  const root = tempDir('wsgate-cgroup-');
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
    fs.writeFileSync(path.join(root, name), text);
  }
  return root;
}

test('cgroup v2: limit from memory.max, working set = memory.current - inactive_file', () => {
  const root = fakeCgroup({ 'memory.max': '536870912\n', 'memory.current': '300000000\n', 'memory.stat': 'anon 250000000\nfile 60000000\nactive_file 10000000\ninactive_file 50000000\n' });
  assert.deepEqual(readCgroupMemory(root), { version: 2, limitBytes: 536870912, workingSetBytes: 250000000 });
});

test('cgroup v2: "max" is no limit; a missing memory.stat counts no cache', () => {
  const root = fakeCgroup({ 'memory.max': 'max\n', 'memory.current': '1234\n' });
  assert.deepEqual(readCgroupMemory(root), { version: 2, limitBytes: undefined, workingSetBytes: 1234 });
});

test('cgroup v1: memory/memory.limit_in_bytes and usage_in_bytes minus total_inactive_file; the huge default is no limit', () => {
  const root = fakeCgroup({
    'memory/memory.limit_in_bytes': '268435456\n',
    'memory/memory.usage_in_bytes': '100000000\n',
    'memory/memory.stat': 'cache 5000\ninactive_file 999\ntotal_inactive_file 20000000\n',
  });
  assert.deepEqual(readCgroupMemory(root), { version: 1, limitBytes: 268435456, workingSetBytes: 80000000 });
  const unlimited = fakeCgroup({ 'memory/memory.limit_in_bytes': '9223372036854771712\n', 'memory/memory.usage_in_bytes': '5\n' });
  assert.equal(readCgroupMemory(unlimited)?.limitBytes, undefined);
});

test('no cgroup memory files: undefined', () => {
  assert.equal(readCgroupMemory(tempDir('wsgate-cgroup-')), undefined);
});
