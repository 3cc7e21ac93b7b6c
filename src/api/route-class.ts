// Route classes, as IngressClass does for Ingresses: one cluster can run several wsgate installs
// (internal and external, per team), and each serves only the routes whose spec.className names
// its --class. Routes without a class go to the install started with --default-class. Pure: the
// controller and the file source filter with it before anything is compiled, so a route of
// another class gets no table entry, no status, no event and no metric series from this install.

import { DEFAULT_CLASS_NAME } from './defaults.js';

export interface ClassSelection {
  /** This install's class (--class). */
  readonly className: string;
  /** Whether this install also serves routes that name no class (--default-class). */
  readonly isDefault: boolean;
}

export const DEFAULT_CLASS_SELECTION: ClassSelection = { className: DEFAULT_CLASS_NAME, isDefault: true };

/** Anything with an optional spec.className: WebSocketRoute, WebSocketPolicy. */
export interface Classed {
  readonly spec?: { readonly className?: string } | undefined;
}

/** The same rule as the CRD's pattern for spec.className (a DNS subdomain). */
export const CLASS_NAME_PATTERN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `name` cannot be a class name, or undefined when it can (checks the --class flag). */
export function classNameProblem(name: string): string | undefined {
  if (name.length === 0 || name.length > 253) return 'must be 1 to 253 characters long';
  if (!CLASS_NAME_PATTERN.test(name)) return "must be a DNS subdomain: lowercase letters, digits, '-' and '.'";
  return undefined;
}

export function servesClass(className: string | undefined, sel: ClassSelection): boolean {
  // An empty string is refused by the schema; read it as "no class", as the apiserver would never store it.
  return className ? className === sel.className : sel.isDefault;
}

export interface ClassPartition<T> {
  /** What this install serves. */
  readonly ours: T[];
  /** What another install serves: left alone. */
  readonly others: T[];
}

export function partitionByClass<T extends Classed>(items: readonly T[], sel: ClassSelection): ClassPartition<T> {
  const ours: T[] = [];
  const others: T[] = [];
  for (const item of items) (servesClass(item.spec?.className, sel) ? ours : others).push(item);
  return { ours, others };
}
