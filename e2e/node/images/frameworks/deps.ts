// Prints the node_modules directories (relative to the repository, one a line) that the
// framework backend image needs at run time: the named packages and, transitively, their
// dependencies and installed optional dependencies, resolved as Node resolves them (the nearest
// node_modules up from the depending package). Used by e2e/node/image.sh to copy only those.
//
//   node dist/e2e/node/images/frameworks/deps.js socket.io graphql graphql-ws ws
import fs from 'node:fs';
import path from 'node:path';

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The directory `name` resolves to from package directory `from` (undefined: not installed). */
function resolve(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === path.dirname(dir)) return undefined;
  }
}

const root = process.cwd();
const seen = new Set<string>();
const queue: Array<{ name: string; from: string; optional: boolean }> = process.argv.slice(2).map((name) => ({ name, from: root, optional: false }));
while (queue.length > 0) {
  const { name, from, optional } = queue.shift()!;
  const dir = resolve(name, from);
  if (dir === undefined) {
    if (optional) continue; // an optional dependency not installed on this platform
    throw new Error(`${name} (needed by ${path.relative(root, from) || 'the image'}) is not in node_modules: npm ci first`);
  }
  if (seen.has(dir)) continue;
  seen.add(dir);
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as Manifest;
  for (const dep of Object.keys(manifest.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false });
  for (const dep of Object.keys(manifest.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true });
}
for (const dir of [...seen].sort()) console.log(path.relative(root, dir));
