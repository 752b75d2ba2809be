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
