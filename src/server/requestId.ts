import { randomUUID } from 'node:crypto';

// A client-sent id is kept only when it is short and plain, so it is safe in logs and headers.
const ACCEPTABLE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The client's `x-request-id` when acceptable, else a fresh UUID. */
export function pickRequestId(sent: string | string[] | null | undefined): string {
  return typeof sent === 'string' && ACCEPTABLE_ID.test(sent) ? sent : randomUUID();
}
