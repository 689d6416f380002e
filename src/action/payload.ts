// The artifact a fork PR's run leaves for the publish workflow. It is written by a job that ran
// the PR's code, so the publish side treats it as untrusted data: strict schema, size caps, and
// nothing in it decides where the comment goes or what links point to.
import { Ajv } from 'ajv';
import type { Finding } from '../core/finding.js';
import type { CheckReport, PhaseResult } from '../report/model.js';
import { toJson } from '../report/json.js';
import type { FailOn, ReportRun } from '../report/markdown.js';

export const PAYLOAD_SCHEMA_ID = 'moodle-plugin-check/comment-payload@1';
export const PAYLOAD_FILE = 'comment-payload.json';
export const ARTIFACT_PREFIX = 'moodle-plugin-check-comment';
/** A payload bigger than this is refused before parsing. */
export const MAX_PAYLOAD_BYTES = 5 * 1024 * 1024;

export interface CommentPayload {
  schema: typeof PAYLOAD_SCHEMA_ID;
  key: string;
  prNumber: number;
  headSha: string;
  pluginPath: string;
  failOn: FailOn;
  runs: ReportRun[];
  /** The comment as the checking job rendered it; kept for people, never posted as-is. */
  body: string;
}

export function buildPayload(p: Omit<CommentPayload, 'schema'>): object {
  return {
    schema: PAYLOAD_SCHEMA_ID,
    ...p,
    runs: p.runs.map((r) => ({ label: r.label, report: toJson(r.report) })),
  };
}

const short = { type: 'string', maxLength: 300 } as const;
const text = { type: 'string', maxLength: 5000 } as const;
const nullable = (s: object): object => ({ anyOf: [s, { type: 'null' }] });
const count = { type: 'integer', minimum: 0, maximum: 1_000_000 } as const;

const FINDING = {
  type: 'object',
  required: ['ruleId', 'severity', 'message'],
  additionalProperties: false,
  properties: {
    ruleId: {
      type: 'string',
      pattern: '^([a-z0-9-]+/[a-z0-9-]+|cs/[A-Za-z][A-Za-z0-9_.]*)$',
      maxLength: 100,
    },
    severity: { enum: ['error', 'warning', 'notice'] },
    file: nullable({ type: 'string', maxLength: 500, pattern: '^[^\\n\\r]*$' }),
    line: nullable({ type: 'integer', minimum: 1 }),
    column: nullable({ type: 'integer', minimum: 0 }),
    message: text,
    hint: nullable(text),
  },
};

const REPORT = {
  type: 'object',
  required: ['tool', 'plugin', 'moodle', 'phases', 'findings', 'summary'],
  properties: {
    tool: {
      type: 'object',
      required: ['name', 'version'],
      properties: { name: short, version: short },
    },
    plugin: {
      type: 'object',
      required: ['component'],
      properties: {
        component: nullable({ type: 'string', pattern: '^[a-z][a-z0-9_]*$', maxLength: 100 }),
      },
    },
    moodle: nullable({
      type: 'object',
      required: ['release', 'branch', 'php', 'adjustments'],
      properties: {
        release: short,
        branch: short,
        php: short,
        adjustments: {
          type: 'array',
          maxItems: 200,
          items: {
            type: 'object',
            required: ['rule', 'detail'],
            properties: { rule: short, detail: text },
          },
        },
      },
    }),
    phases: {
      type: 'array',
      maxItems: 50,
      items: {
        type: 'object',
        required: ['name', 'status', 'durationMs'],
        additionalProperties: false,
        properties: {
          name: short,
          status: { enum: ['passed', 'failed', 'skipped'] },
          durationMs: count,
          detail: text,
        },
      },
    },
    findings: { type: 'array', maxItems: 10_000, items: FINDING },
    summary: {
      type: 'object',
      required: ['errors', 'warnings', 'notices'],
      properties: { errors: count, warnings: count, notices: count },
    },
  },
};

const SCHEMA = {
  type: 'object',
  required: ['schema', 'key', 'prNumber', 'headSha', 'pluginPath', 'failOn', 'runs', 'body'],
  additionalProperties: false,
  properties: {
    schema: { const: PAYLOAD_SCHEMA_ID },
    key: { type: 'string', pattern: '^[A-Za-z0-9._/@,+-]{1,200}$' },
    prNumber: { type: 'integer', minimum: 1 },
    headSha: { type: 'string', pattern: '^[0-9a-f]{40}([0-9a-f]{24})?$' },
    // Relative, no `..`, no URL-significant characters: it becomes part of our links.
    pluginPath: {
      type: 'string',
      maxLength: 200,
      pattern: '^(?!.*(^|/)\\.\\.?(/|$))[A-Za-z0-9._/-]*$',
    },
    failOn: { enum: ['error', 'warning', 'never'] },
    runs: {
      type: 'array',
      minItems: 1,
      maxItems: 20,
      items: {
        type: 'object',
        required: ['label', 'report'],
        additionalProperties: false,
        properties: { label: { type: 'string', maxLength: 100 }, report: REPORT },
      },
    },
    body: { type: 'string', maxLength: 65536 },
  },
};

const validate = new Ajv({ allErrors: false, strict: false }).compile(SCHEMA);

export class PayloadError extends Error {
  override readonly name = 'PayloadError';
}

/** Parses and checks an artifact's payload; throws PayloadError naming the first problem. */
export function parsePayload(raw: string): CommentPayload {
  if (Buffer.byteLength(raw) > MAX_PAYLOAD_BYTES)
    throw new PayloadError(`${PAYLOAD_FILE} is larger than ${MAX_PAYLOAD_BYTES} bytes.`);
  let data: unknown;
  try {
    data = JSON.parse(raw);
  } catch (e) {
    throw new PayloadError(`${PAYLOAD_FILE} is not JSON: ${(e as Error).message}`);
  }
  if (!validate(data)) {
    const e = validate.errors?.[0];
    throw new PayloadError(
      `${PAYLOAD_FILE} is not a valid payload: ${e?.instancePath || '/'} ${e?.message ?? 'is invalid'}.`,
    );
  }
  const p = data as Omit<CommentPayload, 'runs'> & {
    runs: { label: string; report: Record<string, unknown> }[];
  };
  return { ...p, runs: p.runs.map((r) => ({ label: r.label, report: fromJson(r.report) })) };
}

type JsonFinding = { [K in keyof Finding]-?: Finding[K] | null };

/** The JSON contract's nulls back to optional fields, keeping only what the renderers read. */
function fromJson(r: Record<string, unknown>): CheckReport {
  const report = r as unknown as Omit<CheckReport, 'findings'> & { findings: JsonFinding[] };
  const findings: Finding[] = report.findings.map((f) => ({
    ruleId: f.ruleId!,
    severity: f.severity!,
    message: f.message!,
    ...(f.file != null ? { file: f.file } : {}),
    ...(f.line != null ? { line: f.line } : {}),
    ...(f.column != null ? { column: f.column } : {}),
    ...(f.hint != null ? { hint: f.hint } : {}),
  }));
  const phases: PhaseResult[] = report.phases.map((p) => ({ ...p }));
  return { ...report, phases, findings };
}
