// Shapes shared by both converters. A converter is a pure function: parsed documents in,
// routes and findings out; reading files and printing belong to src/convert/cli.ts.

import type { WebSocketRoute } from '../api/types.js';

export type Format = 'ingress-nginx' | 'ocelot';

/**
 * unconverted: something the input asked for that the output does not do (--strict fails);
 * warning: converted, but the result is weaker or different in a way that matters (security);
 * note: converted with a caveat worth reading, or skipped because it is not a WebSocket route.
 */
export type Level = 'unconverted' | 'warning' | 'note';

export interface Finding {
  /** Input file name as given ("-" for standard input). */
  source: string;
  /** The object within it: "Ingress default/chat", "Routes[2]". */
  object: string;
  /** The field or annotation the finding is about. */
  field: string;
  level: Level;
  message: string;
}

export interface ConvertedRoute {
  route: WebSocketRoute;
  /** Input file and object the route came from, for findings about it after conversion. */
  source: string;
  object: string;
  /** One line naming where the route came from; printed as a comment above it. */
  origin: string;
  /** Comments put above a field, keyed by its dotted path ("spec.http"). */
  fieldComments: Record<string, string>;
}

export interface InputFile {
  name: string;
  text: string;
}

export interface ConvertOptions {
  /** Format of every input; guessed per file when absent. */
  from?: Format;
  /** Namespace for routes whose input names none (Ocelot, Ingresses without metadata.namespace). */
  namespace: string;
}

export interface ConvertResult {
  routes: ConvertedRoute[];
  findings: Finding[];
  /** Inputs that could not be read as either format: nothing was converted from them. */
  errors: string[];
}
