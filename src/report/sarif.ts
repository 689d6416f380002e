import type { RuleMeta } from '../core/rules.js';
import type { CheckReport } from './model.js';

const LEVEL = { error: 'error', warning: 'warning', notice: 'note' } as const;

export interface SarifOptions {
  /** Prepended to every path, so that locations are relative to the repository root. */
  pathPrefix?: string;
  informationUri?: string;
}

/** SARIF 2.1.0 as GitHub code scanning accepts it: rule metadata, one location per result. */
export function toSarif(
  report: CheckReport,
  rules: readonly RuleMeta[],
  options: SarifOptions = {},
): object {
  const prefix = options.pathPrefix ?? '';
  const used = new Set(report.findings.map((f) => f.ruleId));
  const driverRules = rules.filter((r) => used.has(r.id));
  const index = new Map(driverRules.map((r, i) => [r.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: report.tool.name,
            version: report.tool.version,
            semanticVersion: report.tool.version,
            ...(options.informationUri ? { informationUri: options.informationUri } : {}),
            rules: driverRules.map((r) => ({
              id: r.id,
              name: r.id.replace(/[/-](\w)/g, (_m, ch: string) => ch.toUpperCase()),
              shortDescription: { text: r.title },
              fullDescription: { text: r.why },
              help: { text: r.fix, markdown: `**Why:** ${r.why}\n\n**Fix:** ${r.fix}` },
              defaultConfiguration: { level: LEVEL[r.severity] },
              properties: { tags: ['moodle', r.id.split('/')[0] ?? ''] },
            })),
          },
        },
        results: report.findings.map((f) => ({
          ruleId: f.ruleId,
          ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
          level: LEVEL[f.severity],
          message: { text: f.hint ? `${f.message} ${f.hint}` : f.message },
          locations: [
            {
              physicalLocation: {
                // Code scanning needs a location; plugin-wide findings point at version.php.
                artifactLocation: {
                  uri: encodeURI(prefix + (f.file ?? 'version.php')),
                  uriBaseId: '%SRCROOT%',
                },
                region: {
                  startLine: f.line ?? 1,
                  ...(f.column !== undefined ? { startColumn: f.column } : {}),
                },
              },
            },
          ],
        })),
        columnKind: 'unicodeCodePoints',
      },
    ],
  };
}

export function formatSarif(
  report: CheckReport,
  rules: readonly RuleMeta[],
  options: SarifOptions = {},
): string {
  return `${JSON.stringify(toSarif(report, rules, options), null, 2)}\n`;
}
