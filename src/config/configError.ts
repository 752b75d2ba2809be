import path from 'node:path';

/**
 * A configuration mistake found at start-up. The message always names the file and the key, so
 * the operator can fix it without reading a stack trace:
 * `bffs/partner/bff.config.ts: limits.maxDepth: expected a positive integer, got -5`.
 */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly file: string,
    readonly key: string,
    readonly problem: string,
  ) {
    super(key ? `${file}: ${key}: ${problem}` : `${file}: ${problem}`);
  }
}

/** A file path as the operator typed it: relative to the working directory when inside it. */
export function displayPath(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') ? relative : file;
}
