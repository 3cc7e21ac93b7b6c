// X-Request-Id: a client's value is kept when it is a sane identifier (so one id follows a
// request through several proxies); anything else is replaced by a new UUID.

import { randomUUID } from 'node:crypto';

const SANE = /^[A-Za-z0-9._:@+=/-]{1,128}$/;

export function requestIdFor(value: string | string[] | undefined): string {
  return typeof value === 'string' && SANE.test(value) ? value : randomUUID();
}
