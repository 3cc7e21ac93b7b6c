// The real `wsgate convert` process: same bytes as the golden files, output that the real
// `wsgate validate` accepts, standard input, --strict, bad input and the help text.

import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { cliPath, repoRoot, runCli, tempDir } from '../helpers/wsgate-child.js';
import { GOLDEN_CASES, goldenDir, inputName } from './cases.js';

/** runCli with the working directory at the repository (inputs named as in the golden files) and optional stdin. */
function convertCli(args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cliPath, 'convert', ...args], { cwd: repoRoot, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });
}

describe('wsgate convert (CLI)', () => {
  const dir = tempDir('wsgate-convert-');
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  for (const c of GOLDEN_CASES) {
    test(`${c.name}: golden bytes, and wsgate validate accepts the output`, async () => {
      const out = await convertCli(c.files.map(inputName));
      assert.equal(out.code, 0, out.stderr);
      assert.equal(out.stdout, fs.readFileSync(path.join(goldenDir, `${c.name}.yaml`), 'utf8'));
      assert.equal(out.stderr, fs.readFileSync(path.join(goldenDir, `${c.name}.report.txt`), 'utf8'));
      const file = path.join(dir, `${c.name}.yaml`);
      fs.writeFileSync(file, out.stdout);
      const v = await runCli(['validate', file]);
      assert.equal(v.code, 0, v.stderr);
      assert.match(v.stdout, /1 file\(s\), [1-9]\d* route\(s\): valid/);
    });
  }

  test('"-" reads standard input; --from names the format', async () => {
    const text = fs.readFileSync(path.join(repoRoot, 'test/convert/inputs/ocelot-websocket.json'), 'utf8');
    const guessed = await convertCli(['-'], text);
    assert.equal(guessed.code, 0, guessed.stderr);
    assert.match(guessed.stdout, /from \(stdin\)/);
    assert.match(guessed.stdout, /path: \/gateway\/\{catchAll\}/);
    const named = await convertCli(['--from', 'ocelot', '-'], text);
    assert.equal(named.stdout, guessed.stdout);
  });

  test('--strict exits 1 when something was not converted, 0 when everything was', async () => {
    const lossy = await convertCli(['--strict', inputName('nginx-websocket.yaml')]);
    assert.equal(lossy.code, 1);
    assert.match(lossy.stderr, /whitelist-source-range: not converted/);
    assert.ok(lossy.stdout.includes('kind: WebSocketRoute'), 'the routes are still printed');
    const clean = await convertCli(['--strict', inputName('nginx-org.yaml')]);
    assert.equal(clean.code, 0, clean.stderr);
  });

  test('--namespace puts Ocelot routes there', async () => {
    const out = await convertCli(['--namespace', 'realtime', inputName('ocelot-websocket.json')]);
    assert.match(out.stdout, /namespace: realtime/);
    assert.doesNotMatch(out.stdout, /namespace: default/);
    const bad = await convertCli(['--namespace', 'Not_A_Namespace', inputName('ocelot-websocket.json')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /not a namespace name/);
  });

  test('unusable input: exit 2, nothing on standard output', async () => {
    const missing = await convertCli(['does-not-exist.yaml']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /does-not-exist\.yaml: file not found/);
    const unknown = path.join(dir, 'other.txt');
    fs.writeFileSync(unknown, 'just: some\nyaml: 1\n');
    const guess = await convertCli([unknown]);
    assert.equal(guess.code, 2);
    assert.equal(guess.stdout, '');
    assert.match(guess.stderr, /name the format with --from/);
    const broken = await convertCli(['--from', 'ocelot', '-'], '{ "Routes": [ }');
    assert.equal(broken.code, 2);
    assert.match(broken.stderr, /not JSON/);
  });

  test('--help documents the mapping table', async () => {
    const help = await convertCli(['--help']);
    assert.equal(help.code, 0);
    for (const row of ['proxy-read/send-timeout', 'session-cookie-name', 'upstream-hash-by', 'nginx.org/websocket-services', 'DownstreamHostAndPorts', 'CookieStickySessions', 'DangerousAcceptAnyServerCertificateValidator', '--strict']) {
      assert.ok(help.stdout.includes(row), row);
    }
  });
});
