// The `code` label of wsgate_closes_total, bounded: a client may send any of 65,536 close codes
// and each would be a new series per route. Kept as they are: the codes registered with IANA
// (1000-1015, RFC 6455 section 7.4 and the registry); application codes collapse to their
// range (3000-3999 are registered with IANA by libraries and frameworks, 4000-4999 are private
// use); anything else (reserved, unassigned or invalid on the wire) is `other`. At most
// 16 + 2 + 1 = 19 values per route.

export function closeCodeLabel(code: number): string {
  if (Number.isInteger(code) && code >= 1000 && code <= 1015) return String(code);
  if (code >= 3000 && code <= 3999) return '3xxx';
  if (code >= 4000 && code <= 4999) return '4xxx';
  return 'other';
}
