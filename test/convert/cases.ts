// The golden cases: input files (under test/convert/inputs) converted together, and the
// expected standard output and report (under test/convert/golden). Shared by the golden
// test, the CLI test and the e2e apply test.

import path from 'node:path';
import { repoRoot } from '../helpers/wsgate-child.js';

export const inputsDir = path.join(repoRoot, 'test/convert/inputs');
export const goldenDir = path.join(repoRoot, 'test/convert/golden');

export interface GoldenCase {
  name: string;
  files: string[];
}

export const GOLDEN_CASES: GoldenCase[] = [
  { name: 'nginx-websocket', files: ['nginx-websocket.yaml'] },
  { name: 'nginx-affinity', files: ['nginx-affinity.yaml'] },
  { name: 'nginx-hash', files: ['nginx-hash.yaml'] },
  { name: 'nginx-rewrite', files: ['nginx-rewrite.yaml'] },
  { name: 'nginx-org', files: ['nginx-org.yaml'] },
  { name: 'ocelot-websocket', files: ['ocelot-websocket.json'] },
  { name: 'ocelot-kube', files: ['ocelot-kube.json', 'ocelot-services.yaml'] },
];

/** Inputs are named relative to the repository, as a user in the checkout would pass them. */
export function inputName(file: string): string {
  return `test/convert/inputs/${file}`;
}
