import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Busboy, type BusboyFileStream, type BusboyHeaders } from '@fastify/busboy';

/** What a demo service keeps of an uploaded file: never the bytes, only their size and digest. */
export interface ReceivedFile {
  filename: string | undefined;
  contentType: string;
  bytes: number;
  sha256: string;
}

/** A GraphQL multipart request as received: its operation with each file in place of its variable. */
export interface ReceivedUploads {
  query: string;
  operationName: string | undefined;
  variables: Record<string, unknown>;
}

/**
 * Reads a GraphQL multipart request (the one the gateway forwards) as it streams: each file is
 * hashed chunk by chunk and dropped, so the demo service, like the gateway, holds no whole file.
 * A single operation only (the gateway sends one per source call).
 */
export function receiveUploads(req: IncomingMessage): Promise<ReceivedUploads> {
  return new Promise((resolve, reject) => {
    let operations: { query?: unknown; operationName?: unknown; variables?: Record<string, unknown> } | undefined;
    let map: Record<string, string[]> = {};
    const files = new Map<string, Promise<ReceivedFile>>();
    const busboy = new Busboy({ headers: req.headers as BusboyHeaders });
    busboy.on('field', (name: string, value: string) => {
      try {
        if (name === 'operations') operations = JSON.parse(value) as typeof operations;
        if (name === 'map') map = JSON.parse(value) as Record<string, string[]>;
      } catch (error) {
        reject(error as Error);
      }
    });
    busboy.on('file', (key: string, stream: BusboyFileStream, filename: string | undefined, _encoding: string, contentType: string) => {
      files.set(
        key,
        new Promise((done, fail) => {
          const hash = createHash('sha256');
          let bytes = 0;
          stream.on('data', (chunk: Buffer) => {
            bytes += chunk.length;
            hash.update(chunk);
          });
          stream.once('error', fail);
          stream.once('end', () => done({ filename: filename || undefined, contentType, bytes, sha256: hash.digest('hex') }));
        }),
      );
    });
    busboy.once('error', reject);
    busboy.once('finish', () => {
      void (async () => {
        if (!operations || typeof operations.query !== 'string') throw new Error('no operations');
        const variables = { ...operations.variables };
        for (const [key, paths] of Object.entries(map)) {
          const file = await files.get(key);
          for (const at of paths) {
            const segments = at.split('.').slice(1);
            let target: Record<string, unknown> = variables;
            for (const segment of segments.slice(0, -1)) target = target[segment] as Record<string, unknown>;
            target[segments.at(-1)!] = file ?? null;
          }
        }
        resolve({ query: operations.query, operationName: typeof operations.operationName === 'string' ? operations.operationName : undefined, variables });
      })().catch(reject);
    });
    req.pipe(busboy);
  });
}
