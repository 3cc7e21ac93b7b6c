import { formatProblem } from '../api/route-file.js';
import { loadRouteFile } from '../sources/file-source.js';

/** Prints one line per problem; returns the exit code. */
export function runValidate(files: string[]): number {
  let problems = 0;
  let routes = 0;
  for (const file of files) {
    const result = loadRouteFile(file);
    if (result.ok) {
      routes += result.routes.length;
      continue;
    }
    for (const p of result.problems) process.stderr.write(formatProblem(p) + '\n');
    problems += result.problems.length;
  }
  if (problems > 0) {
    process.stderr.write(`${problems} problem(s) found\n`);
    return 1;
  }
  process.stdout.write(`${files.length} file(s), ${routes} route(s): valid\n`);
  return 0;
}
