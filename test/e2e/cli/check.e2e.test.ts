import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { cp, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runPortico } from '../../support/cli.js';
import { repoRoot } from '../../support/portico.js';
import type { CheckReport } from '../../../src/cli/checkConfigChanges.js';
import { formatCheck } from '../../../src/cli/formatCheck.js';

// Issue 21: `portico check --against` reports what a config change breaks. The baseline is a copy
// of the repository's config with a trusted-documents store on the partner BFF; the working
// config is the same copy with schemas/orders.graphql edited.

const DOCUMENTS = {
  format: 'apollo-persisted-query-manifest',
  version: 1,
  operations: [
    { id: 'a'.repeat(64), name: 'OrderPrices', type: 'query', body: 'query OrderPrices($id: ID!) { order(id: $id) { id items { unitPrice } } }' },
    { id: 'b'.repeat(64), name: 'OrderPage', type: 'query', body: 'query OrderPage { orders(first: 5, offset: 10) { id status } }' },
    { id: 'c'.repeat(64), name: 'Catalogue', type: 'query', body: 'query Catalogue { products(page: 1) { items { id name } } }' },
  ],
};

const execFileAsync = promisify(execFile);
let root: string;
let breakingReport: CheckReport;
// Each case runs the CLI as a process (tsx compiles on start; CI has 2 cores).
const CLI_TIMEOUT_MS = 90_000;

/** A copy of the repository's config (src and node_modules linked in) with `edit` applied to orders.graphql. */
async function configCopy(name: string, edit: (sdl: string) => string = (sdl) => sdl): Promise<string> {
  const dir = path.join(root, name);
  await cp(path.join(repoRoot, 'schemas'), path.join(dir, 'schemas'), { recursive: true });
  await cp(path.join(repoRoot, 'bffs'), path.join(dir, 'bffs'), { recursive: true });
  await cp(path.join(repoRoot, 'portico.config.ts'), path.join(dir, 'portico.config.ts'));
  await symlink(path.join(repoRoot, 'src'), path.join(dir, 'src'), 'dir');
  await symlink(path.join(repoRoot, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
  const partner = path.join(dir, 'bffs', 'partner', 'bff.config.ts');
  const text = await readFile(partner, 'utf8');
  await writeFile(partner, text.replace('routes: partnerRoutes,', "routes: partnerRoutes,\n  trustedDocuments: { store: './documents.json', mode: 'allow-ad-hoc' },"));
  await writeFile(path.join(dir, 'bffs', 'partner', 'documents.json'), JSON.stringify(DOCUMENTS));
  const orders = path.join(dir, 'schemas', 'orders.graphql');
  await writeFile(orders, edit(await readFile(orders, 'utf8')));
  return dir;
}

function replaceOnce(text: string, from: string, to: string): string {
  expect(text, `orders.graphql contains ${from}`).toContain(from);
  return text.replace(from, to);
}

async function check(working: string, args: string[]) {
  const cli = runPortico(['check', '--config', path.join(working, 'portico.config.ts'), ...args]);
  return cli.exited;
}

describe('portico check (issue 21)', () => {
  let baseline: string;
  let breaking: string;
  let safe: string;
  beforeAll(async () => {
    root = await mkdtemp(path.join(tmpdir(), 'portico-check-e2e-'));
    baseline = await configCopy('baseline');
    breaking = await configCopy('breaking', (sdl) => {
      let edited = replaceOnce(sdl, '  "Dollars; equals the product\'s priceCents / 100."\n  unitPrice: Float!\n', ''); // removed field
      edited = replaceOnce(edited, '  total: Float!', '  total: String!'); // type change
      edited = replaceOnce(edited, 'orders(first: Int = 20, offset: Int = 0, userId: ID)', 'orders(first: Int = 20, skip: Int = 0, userId: ID)'); // renamed argument
      return edited;
    });
    safe = await configCopy('safe', (sdl) => replaceOnce(sdl, '  total: Float!', '  total: Float!\n  "Free text from the customer."\n  note: String'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('reports a removed field, a type change and a renamed argument as breaking, with the routes and documents they break, and exits 1', async () => {
    const { code, stdout, stderr } = await check(breaking, ['--against', baseline, '--json']);
    expect(code, stderr).toBe(1);
    const report = JSON.parse(stdout) as CheckReport;
    breakingReport = report;
    expect(report.ok).toBe(false);
    const partner = report.bffs.find((bff) => bff.bff === 'partner')!;
    const byPath = (changePath: string) => partner.changes.filter((change) => change.path === changePath);

    expect(byPath('OrderItem.unitPrice')).toEqual([expect.objectContaining({ level: 'breaking', type: 'FIELD_REMOVED' })]);
    expect(byPath('OrderItem.unitPrice')[0]!.affects).toEqual(expect.arrayContaining(['GET /v2/orders/:id', expect.stringMatching(/^document OrderPrices/)]));
    expect(byPath('Order.total')).toEqual([expect.objectContaining({ level: 'breaking', type: 'FIELD_TYPE_CHANGED' })]);
    expect(byPath('Order.total')[0]!.affects).toEqual(expect.arrayContaining(['GET /v1/orders', 'GET /v1/orders/:id', 'GET /v2/orders/:id']));
    expect(byPath('Query.orders.offset')).toEqual([expect.objectContaining({ level: 'breaking', type: 'FIELD_ARGUMENT_REMOVED' })]);
    expect(byPath('Query.orders.offset')[0]!.affects).toEqual(expect.arrayContaining(['GET /v1/orders', expect.stringMatching(/^document OrderPage/)]));

    // The stored operations that no longer validate are errors; the untouched one is not.
    const broken = partner.broken.map((operation) => operation.name);
    expect(broken).toEqual(expect.arrayContaining(['GET /v1/orders', 'GET /v2/orders/:id', expect.stringMatching(/^document OrderPrices/), expect.stringMatching(/^document OrderPage/)]));
    expect(broken.some((name) => name.startsWith('document Catalogue'))).toBe(false);
    expect(partner.checked).toEqual({ routes: 6, documents: 3 });

    // The OpenAPI documents: the total's type changed in v1 and v2; the broken routes are gone.
    expect(partner.openApi).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ level: 'breaking', version: 'v1', operation: 'GET /v1/orders/{id}', message: expect.stringMatching(/response\.total: type changed from number to string/) }),
        expect.objectContaining({ level: 'breaking', version: 'v1', operation: 'GET /v1/orders', message: 'path removed' }),
      ]),
    );
    // The other BFFs see the same source changes.
    expect(report.bffs.find((bff) => bff.bff === 'web')!.changes.some((change) => change.level === 'breaking')).toBe(true);
  }, CLI_TIMEOUT_MS);

  it('names the breaking changes and the routes they break in its human output', () => {
    // The command prints formatCheck(report) without --json; the report is the one the CLI gave above.
    const text = formatCheck(breakingReport);
    expect(text).toMatch(/✖ breaking\s+Field 'unitPrice' was removed from object type 'OrderItem'/);
    expect(text).toMatch(/used by GET \/v2\/orders\/:id/);
    expect(text).toMatch(/✖ error\s+route GET \/v1\/orders no longer validates:/);
    expect(text).toMatch(/FAILED: clients would break \(exit 1\)/);
  });

  it('reports an added field as safe and exits 0', async () => {
    const { code, stdout, stderr } = await check(safe, ['--against', baseline, '--json']);
    expect(code, stderr).toBe(0);
    const report = JSON.parse(stdout) as CheckReport;
    expect(report.ok).toBe(true);
    expect(report.summary).toMatchObject({ breaking: 0, brokenOperations: 0, openApiBreaking: 0 });
    const partner = report.bffs.find((bff) => bff.bff === 'partner')!;
    expect(partner.changes.map((change) => [change.level, change.type, change.path])).toEqual([
      ['safe', 'FIELD_ADDED', 'Order.note'],
      ['safe', 'FIELD_DESCRIPTION_ADDED', 'Order.note'],
    ]);
  }, CLI_TIMEOUT_MS);

  it('checks against a git revision: the working tree against the commit before its edit', async () => {
    // A repository of its own: the baseline copy committed, then the breaking edit written over it.
    const repo = await configCopy('repo');
    await writeFile(path.join(repo, '.gitignore'), 'node_modules\n');
    const git = (...args: string[]) => execFileAsync('git', args, { cwd: repo });
    await git('init', '-q');
    await git('add', '-A');
    await git('-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'baseline');
    await cp(path.join(breaking, 'schemas', 'orders.graphql'), path.join(repo, 'schemas', 'orders.graphql'));
    const { code, stdout, stderr } = await check(repo, ['--against', 'HEAD', '--json']);
    expect(code, stderr).toBe(1);
    const report = JSON.parse(stdout) as CheckReport;
    expect(report.against).toBe('HEAD');
    expect(report.bffs.find((bff) => bff.bff === 'partner')!.changes).toContainEqual(expect.objectContaining({ type: 'FIELD_REMOVED', path: 'OrderItem.unitPrice' }));
  }, CLI_TIMEOUT_MS);

  it('exits 2 on a usage error: no --against, or one that is neither a folder nor a git revision', async () => {
    const [missing, unknown] = await Promise.all([check(safe, []), check(safe, ['--against', 'no-such-ref-or-folder'])]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--against GIT_REF\|DIR is required/);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/not a folder, and not a git revision/);
  }, CLI_TIMEOUT_MS);
});
