// Golden files: the exact bytes `wsgate convert` prints for real-world-shaped inputs.
// UPDATE_GOLDEN=1 rewrites them (then review the diff). Every golden output must also pass
// the same validation as `wsgate validate`, and converting twice gives the same bytes.

import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { parseRouteFile } from '../../src/api/route-file.js';
import { convertToText } from '../../src/convert/output.js';
import { GOLDEN_CASES, goldenDir, inputName, inputsDir } from './cases.js';

const update = process.env.UPDATE_GOLDEN === '1';

function run(files: string[]) {
  const inputs = files.map((f) => ({ name: inputName(f), text: fs.readFileSync(path.join(inputsDir, f), 'utf8') }));
  return convertToText(inputs, { namespace: 'default' });
}

describe('golden files', () => {
  for (const c of GOLDEN_CASES) {
    test(c.name, () => {
      const out = run(c.files);
      assert.equal(out.code, 0, out.stderr);
      const yamlFile = path.join(goldenDir, `${c.name}.yaml`);
      const reportFile = path.join(goldenDir, `${c.name}.report.txt`);
      if (update) {
        fs.mkdirSync(goldenDir, { recursive: true });
        fs.writeFileSync(yamlFile, out.stdout);
        fs.writeFileSync(reportFile, out.stderr);
      }
      assert.equal(out.stdout, fs.readFileSync(yamlFile, 'utf8'), `${yamlFile} differs (UPDATE_GOLDEN=1 to rewrite)`);
      assert.equal(out.stderr, fs.readFileSync(reportFile, 'utf8'), `${reportFile} differs (UPDATE_GOLDEN=1 to rewrite)`);

      const parsed = parseRouteFile(out.stdout, yamlFile);
      assert.deepEqual(parsed.problems, []);
      assert.ok(parsed.routes.length > 0);
      assert.equal(run(c.files).stdout, out.stdout, 'same input, same bytes');
    });
  }
});
