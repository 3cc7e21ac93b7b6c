// A flood of WebSocket upgrades from one address, as its own process so the flood does not
// share an event loop with the client it must not disturb: CONCURRENCY raw upgrade requests
// back to back for SECONDS; a 101 is dropped at once. Prints one JSON line:
// {"attempts":n,"statuses":{"101":n,"429":n},"withRetryAfter":n,"errors":n}.
//
//   node dist/e2e/reliability/lib/upgrade-flood.js PORT PATH SECONDS CONCURRENCY

import { rawRequest, upgradeRequest } from '../../../test/helpers/raw-http.js';

const [port = '0', pathname = '/', seconds = '5', concurrency = '20'] = process.argv.slice(2);
const statuses: Record<string, number> = {};
let withRetryAfter = 0;
let errors = 0;
let attempts = 0;
const end = performance.now() + Number(seconds) * 1000;
const request = upgradeRequest(pathname);
await Promise.all(
  Array.from({ length: Number(concurrency) }, async () => {
    while (performance.now() < end) {
      attempts++;
      try {
        const res = await rawRequest(Number(port), request, 5000);
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 429 && /^\d+$/.test(res.headers['retry-after'] ?? '')) withRetryAfter++;
      } catch {
        errors++;
      }
    }
  }),
);
process.stdout.write(`${JSON.stringify({ attempts, statuses, withRetryAfter, errors })}\n`);
