import { once } from 'node:events';
import type { ClientHttp2Session } from 'node:http2';

/** POSTs a JSON body to `path` on an open HTTP/2 session (one stream) and reads the whole answer. */
export async function http2Post(session: ClientHttp2Session, body: string, path = '/graphql'): Promise<{ status: number; body: string }> {
  const stream = session.request({ ':method': 'POST', ':path': path, 'content-type': 'application/json' });
  stream.end(body);
  const [headers] = (await once(stream, 'response')) as [Record<string, unknown>];
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) text += chunk;
  return { status: Number(headers[':status']), body: text };
}
