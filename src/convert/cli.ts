// `wsgate convert`: the only part of src/convert that does I/O. Reads the inputs, prints
// what convertToText made of them, and returns the exit code.

import fs from 'node:fs';
import { EXIT_BAD_INPUT, convertToText } from './output.js';
import type { Format, InputFile } from './types.js';

export interface ConvertCliOptions {
  from?: Format;
  strict?: boolean;
  namespace: string;
}

export function runConvert(files: string[], opts: ConvertCliOptions): number {
  const inputs: InputFile[] = [];
  for (const name of files) {
    try {
      // fd 0 rather than /dev/stdin, which is not there on every platform.
      inputs.push({ name, text: fs.readFileSync(name === '-' ? 0 : name, 'utf8') });
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message;
      process.stderr.write(`${name}: ${reason}\n`);
      return EXIT_BAD_INPUT;
    }
  }
  const out = convertToText(inputs, { namespace: opts.namespace, strict: opts.strict ?? false, ...(opts.from ? { from: opts.from } : {}) });
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  return out.code;
}
