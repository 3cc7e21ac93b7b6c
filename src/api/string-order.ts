// The one order of strings wherever the output must not depend on the order of the input
// (routes by key, Gateway API objects by name, certificates by route): by UTF-16 code unit, as
// `<` compares, never by locale (localeCompare would differ between machines).

/** Code-unit order of two strings, for Array.prototype.sort. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
