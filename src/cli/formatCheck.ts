import type { CheckReport } from './checkConfigChanges.js';

const MARK = { breaking: '✖ breaking ', dangerous: '! dangerous', safe: '✓ safe     ' } as const;

/** `portico check`'s human output: per BFF, the schema changes, broken stored operations and OpenAPI changes. */
export function formatCheck(report: CheckReport): string {
  const lines: string[] = [`portico check against ${report.against}`];
  for (const bff of report.bffs) {
    lines.push('', `BFF ${bff.bff}: ${bff.status} (${bff.checked.routes} routes and ${bff.checked.documents} trusted documents validated against the new schema)`);
    for (const change of bff.changes) {
      lines.push(`  ${MARK[change.level]} ${change.message}${change.path ? ` [${change.path}]` : ''}`);
      for (const name of change.affects) lines.push(`                used by ${name}`);
    }
    for (const operation of bff.broken) {
      lines.push(`  ✖ error     ${operation.kind === 'route' ? 'route ' : ''}${operation.name} no longer validates:`);
      for (const error of operation.errors) lines.push(`                ${error}`);
    }
    for (const change of bff.openApi) {
      lines.push(`  ${MARK[change.level]} OpenAPI ${change.version} ${change.operation}: ${change.message}`);
    }
  }
  const { summary } = report;
  lines.push(
    '',
    `${summary.breaking} breaking, ${summary.dangerous} dangerous, ${summary.safe} safe schema changes; ` +
      `${summary.brokenOperations} stored operations broken; ${summary.openApiBreaking} breaking OpenAPI changes`,
    report.ok ? 'OK: nothing breaks a client' : 'FAILED: clients would break (exit 1)',
  );
  return `${lines.join('\n')}\n`;
}
