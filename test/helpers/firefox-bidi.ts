// Debian's Firefox ESR, headless, driven over WebDriver BiDi (the W3C protocol Firefox serves
// itself on --remote-debugging-port) with the `ws` client the tests already use: start it with
// a fresh profile, open a session that accepts the test CA's certificates, load a page and
// evaluate a script in it. Only the few BiDi commands the browser tests need.

import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { tempDir } from './wsgate-child.js';

export const FIREFOX = '/usr/bin/firefox-esr';

/** Preferences of the throwaway profile: no first-run pages, updates or telemetry traffic. */
const PREFS: Record<string, string | boolean | number> = {
  'browser.shell.checkDefaultBrowser': false,
  'browser.startup.homepage_override.mstone': 'ignore',
  'browser.aboutwelcome.enabled': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.reportingpolicy.firstRun': false,
  'app.update.disabledForTesting': true,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  // RFC 8441 WebSockets (on by default; set so the test states what it relies on).
  'network.http.http2.websockets': true,
};

export interface Firefox {
  /** Loads `url` in the session's tab and waits for its load event. */
  navigate(url: string): Promise<void>;
  /** Evaluates `expression` in the page (a promise is awaited); returns its string value. */
  evaluate(expression: string): Promise<string>;
  close(): Promise<void>;
}

interface BidiMessage {
  id?: number;
  type?: string;
  result?: Record<string, unknown>;
  error?: string;
  message?: string;
}

export async function startFirefox(timeoutMs = 60_000): Promise<Firefox> {
  const profile = tempDir('wsgate-firefox-');
  fs.writeFileSync(path.join(profile, 'user.js'), Object.entries(PREFS).map(([k, v]) => `user_pref(${JSON.stringify(k)}, ${JSON.stringify(v)});\n`).join(''));
  const child: ChildProcess = spawn(FIREFOX, ['--headless', '--no-remote', '--remote-debugging-port=0', '--profile', profile], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, HOME: profile, MOZ_HEADLESS: '1' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let stderr = '';
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Firefox did not start WebDriver BiDi within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /WebDriver BiDi listening on (ws:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`Firefox exited (${code}) before WebDriver BiDi listened:\n${stderr}`));
    });
  });
  const ws = new WebSocket(`${endpoint.replace(/\/$/, '')}/session`);
  await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
  let nextId = 1;
  const pending = new Map<number, { resolve: (r: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  ws.on('message', (data) => {
    const msg = JSON.parse(data.toString()) as BidiMessage;
    if (msg.id === undefined) return;
    const p = pending.get(msg.id);
    pending.delete(msg.id);
    if (msg.type === 'error') p?.reject(new Error(`${msg.error}: ${msg.message}`));
    else p?.resolve(msg.result ?? {});
  });
  const send = (method: string, params: Record<string, unknown>) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });
  const stop = async () => {
    ws.terminate();
    child.kill('SIGKILL');
    await exited;
    fs.rmSync(profile, { recursive: true, force: true });
  };
  try {
    await send('session.new', { capabilities: { alwaysMatch: { acceptInsecureCerts: true } } });
    const tree = (await send('browsingContext.getTree', {})) as { contexts: Array<{ context: string }> };
    const context = tree.contexts[0]!.context;
    return {
      navigate: async (url) => {
        await send('browsingContext.navigate', { context, url, wait: 'complete' });
      },
      evaluate: async (expression) => {
        const r = (await send('script.evaluate', { expression, target: { context }, awaitPromise: true })) as { type: string; result?: { value?: unknown }; exceptionDetails?: { text?: string } };
        if (r.type !== 'success') throw new Error(`script failed: ${r.exceptionDetails?.text ?? 'unknown'}`);
        return String(r.result?.value);
      },
      close: stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
