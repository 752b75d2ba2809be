import { parseArgs } from 'node:util';

export interface LoadOptions {
  durationSeconds: number;
  connections: number;
  rounds: number;
}

/** `--duration`, `--connections` and `--rounds` of a micro-benchmark, each a positive integer. */
export function parseLoadOptions(defaults: LoadOptions): LoadOptions {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: String(defaults.durationSeconds) },
      connections: { type: 'string', default: String(defaults.connections) },
      rounds: { type: 'string', default: String(defaults.rounds) },
    },
  });
  return {
    durationSeconds: positive(values.duration, '--duration'),
    connections: positive(values.connections, '--connections'),
    rounds: positive(values.rounds, '--rounds'),
  };
}

/** A command-line value that must be a positive integer; throws naming the option otherwise. */
export function positive(raw: string, name: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name}: expected a positive integer, got ${raw}`);
  return value;
}
