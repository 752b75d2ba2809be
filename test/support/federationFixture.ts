import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { composeSupergraph } from '../../src/sources/federation/composeSupergraph.js';
import { scenarios, type FederationScenario } from '../fixtures/federation/scenarios.js';

export type { FederationScenario } from '../fixtures/federation/scenarios.js';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const runner = fileURLToPath(new URL('../fixtures/federation/runFixture.ts', import.meta.url));
const fixturesDir = fileURLToPath(new URL('../fixtures/federation/', import.meta.url));

export interface FederationFixture extends AsyncDisposable {
  scenario: FederationScenario;
  /** Subgraph name → its real `http://127.0.0.1:<port>/graphql` URL. */
  urls: Record<string, string>;
  /** The scenario composed with the real URLs. */
  supergraphSdl: string;
  /** Writes `supergraphSdl` to `<dir>/<scenario>.supergraph.graphql` (for `portico serve --supergraph`); returns the path. */
  writeSupergraphFile(dir: string): Promise<string>;
  /** Stops the subgraphs; safe to call twice. */
  stop(): Promise<void>;
}

export interface StartFederationFixtureOptions {
  /**
   * How long the child may take to print READY. Generous because it pays for tsx compiling the
   * fixtures on a cold, shared 2-core CI box.
   * @default 60000
   */
  readyTimeoutMs?: number;
}

/**
 * Starts a scenario's subgraphs as one real child process (`runFixture.ts`, each subgraph on a
 * free port) and composes the supergraph with their real URLs. The child is killed on `stop()`,
 * on dispose, when this process exits, and (through its stdin) if this process dies.
 */
export async function startFederationFixture(
  scenario: FederationScenario,
  options: StartFederationFixtureOptions = {},
): Promise<FederationFixture> {
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;
  const child = spawn(process.execPath, ['--import', 'tsx', runner, scenario], {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));

  async function stop(): Promise<void> {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  }

  let urls: Record<string, string>;
  try {
    urls = await waitForReady(child, readyTimeoutMs, () => stderr);
  } catch (error) {
    await stop();
    throw new Error(`federation fixture "${scenario}": ${(error as Error).message}`);
  }

  const supergraphSdl = composeFixtureSupergraph(scenario, urls);
  return {
    scenario,
    urls,
    supergraphSdl,
    async writeSupergraphFile(dir) {
      const path = join(dir, `${scenario}.supergraph.graphql`);
      await writeFile(path, supergraphSdl);
      return path;
    },
    stop,
    [Symbol.asyncDispose]: stop,
  };
}

function waitForReady(
  child: ReturnType<typeof spawn>,
  timeoutMs: number,
  stderr: () => string,
): Promise<Record<string, string>> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    const fail = (problem: string) => {
      cleanup();
      const output = stderr().trim();
      reject(new Error(output ? `${problem}; its stderr:\n${output}` : `${problem}; it wrote nothing to stderr`));
    };
    const timer = setTimeout(() => fail(`subgraphs did not print READY within ${timeoutMs} ms`), timeoutMs);
    const onData = (chunk: string) => {
      stdout += chunk;
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('READY '));
      if (line === undefined) return;
      cleanup();
      resolve(JSON.parse(line.slice('READY '.length)) as Record<string, string>);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
      fail(`subgraph process exited before READY (code ${code}, signal ${signal})`);
    const onError = (error: Error) => fail(`subgraph process could not start: ${error.message}`);
    function cleanup() {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
    }
    child.stdout?.setEncoding('utf8').on('data', onData);
    child.once('exit', onExit);
    child.once('error', onError);
  });
}

/** The URL a subgraph has in the committed `supergraph.graphql` files; `.invalid` never resolves. */
export function placeholderUrl(subgraph: string): string {
  return `http://${subgraph}.fixture.invalid/graphql`;
}

/** Composes a scenario; without `urls`, with the placeholder URLs of the committed files. */
export function composeFixtureSupergraph(
  scenario: FederationScenario,
  urls: Record<string, string> = {},
): string {
  return composeSupergraph(
    scenarios[scenario].map((subgraph) => ({
      name: subgraph.name,
      url: urls[subgraph.name] ?? placeholderUrl(subgraph.name),
      sdl: subgraph.sdl,
    })),
  );
}

/** Path of the committed supergraph (placeholder URLs) of a scenario. */
export function committedSupergraphPath(scenario: FederationScenario): string {
  return join(fixturesDir, scenario, 'supergraph.graphql');
}

/** The committed supergraph with each placeholder URL replaced by a real one. */
export async function readCommittedSupergraph(
  scenario: FederationScenario,
  urls: Record<string, string>,
): Promise<string> {
  let sdl = await readFile(committedSupergraphPath(scenario), 'utf8');
  for (const [subgraph, url] of Object.entries(urls)) {
    sdl = sdl.replaceAll(placeholderUrl(subgraph), url);
  }
  return sdl;
}
