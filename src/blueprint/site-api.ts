// What blueprint steps may do to a site: a narrow interface, so the executor and steps can be
// unit-tested with a fake and integration-tested on a real Moodle (MoodleBlueprintSite).

/** One Moodle API operation of php/blueprint/ops_lib.php; `index` is the step's index. */
export interface MoodleOp {
  index: number;
  op: string;
  args: unknown;
  /** The step is `critical`: PHP stops the batch at its failure. */
  critical?: boolean;
}

export interface OpResult {
  index: number;
  ok: boolean;
  /** Time inside PHP for this operation. */
  ms: number;
  output?: string;
  error?: string;
}

export interface OpsRun {
  /** One per operation that finished, in order; the last is the failure when one failed. */
  results: OpResult[];
  /** Wall time of the PHP call, boot and Moodle bootstrap included. */
  totalMs: number;
  /** When PHP died inside an operation: the index it was running and what PHP said. */
  crashed?: { index: number; message: string };
}

export interface HttpRequest {
  method?: string;
  /** Path and query on the site (http://localhost). */
  url: string;
  headers?: Record<string, string>;
  body?: string;
}

export interface HttpResult {
  status: number;
  headers: Record<string, string[]>;
  text: string;
  /** PHP errors of the request. */
  errors: string;
}

/** A request to one of our own scripts rather than Moodle's (login, runPhpScript). */
export type HttpVia = { kind: 'login'; username: string } | { kind: 'script'; code: string };

export interface PhpResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface BlueprintFiles {
  /** Whether a file or folder is there (in the tree, the layer, /persist or injected by us). */
  exists(vfs: string): boolean;
  read(vfs: string, field: string): Uint8Array;
  write(vfs: string, data: Uint8Array, field: string): void;
  mkdir(vfs: string, field: string): void;
  /** Deletes a file; false when it was not there. */
  delete(vfs: string, field: string): boolean;
  rmdir(vfs: string, recursive: boolean, field: string): void;
  copy(from: string, to: string, field: string): void;
  move(from: string, to: string, field: string): void;
}

export interface BlueprintSite {
  /** VFS folder of Moodle's web root: /www/moodle, or /www/moodle/public from 5.1. */
  readonly webRoot: string;
  /** Moodle branch, e.g. 405 (plugin type folders depend on it). */
  readonly branch: number;
  /** Defines a blueprint's phpConstants in config.php for every later PHP call. */
  defineConstants?(constants: Readonly<Record<string, string | number | boolean>>): void;
  readonly files: BlueprintFiles;
  /** Runs Moodle API operations in one PHP process, in order, stopping at the first failure. */
  runOps(ops: readonly MoodleOp[]): Promise<OpsRun>;
  /** Runs a PHP file's code with the CLI (runPhpCode). */
  runPhp(code: string): Promise<PhpResult>;
  /** Serves one HTTP request in the site. */
  request(request: HttpRequest, via?: HttpVia): Promise<HttpResult>;
  /** admin/cli/upgrade.php after code was added (installMoodlePlugin). */
  upgrade(): Promise<{ ok: boolean; output: string; message: string }>;
}
