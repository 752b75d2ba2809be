import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { catalogue, errorCodes, porticoError } from '../../src/errors/index.js';

const doc = readFileSync(path.resolve(import.meta.dirname, '../../docs/errors.md'), 'utf8');
const documented = new Map(
  [...doc.matchAll(/^\| `([A-Z_]+)` \| (\d{3}) \|/gm)].map((match) => [match[1]!, Number(match[2])]),
);

describe('the error catalogue', () => {
  it('documents every code with its status in docs/errors.md', () => {
    for (const code of errorCodes) expect(documented.get(code), code).toBe(catalogue[code].status);
  });

  it('has no code in docs/errors.md that the catalogue lacks', () => {
    expect([...documented.keys()].filter((code) => !(code in catalogue))).toEqual([]);
  });

  it('builds errors carrying the code, the status and the details', () => {
    const error = porticoError('COST_LIMIT_EXCEEDED', { details: { cost: { estimated: 12, max: 10 } } });
    expect(error.extensions).toEqual({ code: 'COST_LIMIT_EXCEEDED', http: { status: 400 }, cost: { estimated: 12, max: 10 } });
    expect(error.message).toBe(catalogue.COST_LIMIT_EXCEEDED.message);
  });
});
