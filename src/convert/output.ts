// What `wsgate convert` prints and returns, as data: standard output (the routes), standard
// error (the report) and the exit code. Pure, so golden tests check the exact bytes.

import { convert } from './convert.js';
import { countFindings, formatFinding } from './findings.js';
import { renderRoutes } from './render.js';
import type { ConvertOptions, InputFile } from './types.js';

const EXIT_NOT_CONVERTED = 1;
export const EXIT_BAD_INPUT = 2;

export interface ConvertOutput {
  stdout: string;
  stderr: string;
  code: number;
}

export function convertToText(inputs: InputFile[], opts: ConvertOptions & { strict?: boolean }): ConvertOutput {
  const result = convert(inputs, opts);
  if (result.errors.length > 0) return { stdout: '', stderr: result.errors.map((e) => e + '\n').join(''), code: EXIT_BAD_INPUT };
  const names = inputs.map((i) => (i.name === '-' ? '(stdin)' : i.name)).join(', ');
  const header = [
    `WebSocketRoutes written by \`wsgate convert\` from ${names}.`,
    'Read the report it printed on standard error: it lists what was not converted, and why.',
  ];
  const counts = countFindings(result.findings);
  const stderr =
    result.findings.map((f) => formatFinding(f) + '\n').join('') +
    `wsgate convert: ${result.routes.length} route(s); ${counts.unconverted} not converted, ${counts.warning} warning(s), ${counts.note} note(s)\n`;
  return { stdout: renderRoutes(result.routes, header), stderr, code: opts.strict && counts.unconverted > 0 ? EXIT_NOT_CONVERTED : 0 };
}
