// Writes crds/wsgate.io_websocketpolicies.yaml from crds/wsgate.io_websocketroutes.yaml (see
// src/gatewayapi/policy-crd.ts), then copies it into charts/wsgate/crds/.
//   make build && node_modules/.bin/node dist/e2e/gateway/gen-policy-crd.js

import fs from 'node:fs';
import path from 'node:path';
import { POLICY_CRD_FILE, renderPolicyCrd } from '../../src/gatewayapi/policy-crd.js';
import { repoRoot } from '../../test/helpers/wsgate-child.js';

const text = renderPolicyCrd(fs.readFileSync(path.join(repoRoot, 'crds/wsgate.io_websocketroutes.yaml'), 'utf8'));
for (const dir of ['crds', 'charts/wsgate/crds']) {
  fs.writeFileSync(path.join(repoRoot, dir, POLICY_CRD_FILE), text);
  console.log(`wrote ${dir}/${POLICY_CRD_FILE}`);
}
