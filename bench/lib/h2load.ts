// h2load (Debian's nghttp2-client) for the plain-request scenario (bench/h2.ts): the command line
// of a timed run, and its printed summary parsed into numbers (pure: text in, numbers out).
// h2load prints no percentiles, only min / max / mean / sd of the time per request, so the
// report gives the mean and the sd.

export type RequestProtocol = 'h2' | 'h1';

export interface H2LoadRun {
  url: string;
  protocol: RequestProtocol;
  /** TCP connections (h2load `-c`). */
  connections: number;
  /** Requests in flight per connection: h2 streams (`-m`); 1 for HTTP/1.1 (no pipelining). */
  streamsPerConnection: number;
  /** A timed run (the bench: h2load's rate leaves the warm-up out), or a fixed number of requests (a test). */
  length: { warmupMs: number; durationMs: number } | { requests: number };
}

/** h2load's arguments for a run on one thread (`-t 1`: one client event loop, as the ws generators are). */
export function h2loadArgs(r: H2LoadRun): string[] {
  if (r.protocol === 'h1' && r.streamsPerConnection !== 1) throw new Error('h2load --h1: one request in flight per connection (no pipelining)');
  return [
    '-t', '1',
    '-c', String(r.connections),
    '-m', String(r.streamsPerConnection),
    ...('requests' in r.length
      ? ['-n', String(r.length.requests)]
      : ['-D', `${Math.round(r.length.durationMs)}ms`, '--warm-up-time', `${Math.round(r.length.warmupMs)}ms`]),
    ...(r.protocol === 'h1' ? ['--h1'] : []),
    r.url,
  ];
}

export interface H2LoadSummary {
  /** The ALPN protocol h2load got ("h2", "http/1.1"), or undefined when it printed none. */
  applicationProtocol: string | undefined;
  /** Over the main duration (h2load leaves the warm-up out). */
  requestsPerSecond: number;
  done: number;
  succeeded: number;
  failed: number;
  errored: number;
  timeout: number;
  status2xx: number;
  status3xx: number;
  status4xx: number;
  status5xx: number;
  /** Time for a request (sent to last byte), ms. */
  requestMs: { min: number; max: number; mean: number; sd: number };
}

/** "701us", "35.13ms", "1.2s" -> milliseconds. */
export function durationMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) throw new Error(`h2load: not a duration: ${JSON.stringify(text)}`);
  const v = Number(m[1]);
  return m[2] === 'us' ? v / 1000 : m[2] === 'ms' ? v : v * 1000;
}

/** The summary of h2load's stdout; throws when a line it needs is missing (h2load failed to run). */
export function parseH2load(out: string): H2LoadSummary {
  const finished = /^finished in [\d.]+\w+, ([\d.]+) req\/s/m.exec(out);
  const req = /^requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(out);
  const codes = /^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/m.exec(out);
  const time = /^time for request:\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)/m.exec(out);
  if (!finished || !req || !codes || !time) throw new Error(`h2load printed no summary:\n${out.slice(-2000)}`);
  const n = (m: RegExpExecArray, i: number) => Number(m[i]);
  return {
    applicationProtocol: /^Application protocol: (\S+)/m.exec(out)?.[1],
    requestsPerSecond: Number(finished[1]),
    done: n(req, 1),
    succeeded: n(req, 2),
    failed: n(req, 3),
    errored: n(req, 4),
    timeout: n(req, 5),
    status2xx: n(codes, 1),
    status3xx: n(codes, 2),
    status4xx: n(codes, 3),
    status5xx: n(codes, 4),
    requestMs: { min: durationMs(time[1]!), max: durationMs(time[2]!), mean: durationMs(time[3]!), sd: durationMs(time[4]!) },
  };
}
