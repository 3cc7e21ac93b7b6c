// Byte sizes as routes write them: an integer, or a Kubernetes-style quantity string with a
// binary (Ki, Mi, Gi, Ti) or decimal (k, M, G, T) suffix. The same grammar as the CRD's
// pattern, so a value the apiserver accepts always parses here.

const QUANTITY = /^([0-9]{1,16})(Ki|Mi|Gi|Ti|k|M|G|T)?$/;
const FACTOR: Record<string, number> = { '': 1, Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

export class QuantityError extends Error {
  override name = 'QuantityError';
}

/** Bytes in `v`. Throws QuantityError when it is not a size or cannot be counted exactly. */
export function parseByteSize(v: number | string): number {
  let bytes: number;
  if (typeof v === 'number') {
    bytes = v;
  } else {
    const m = QUANTITY.exec(v);
    if (!m) throw new QuantityError(`"${v}" is not a size: use a byte count such as 65536 or a quantity such as 64Ki or 1Mi`);
    bytes = Number(m[1]) * FACTOR[m[2] ?? '']!;
  }
  if (!Number.isSafeInteger(bytes)) throw new QuantityError(`${String(v)} is not a whole number of bytes below 2^53`);
  return bytes;
}
