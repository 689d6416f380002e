// The blueprint contract shared by the parser (parse.ts, resources.ts, preview.ts) and the
// executor (executor.ts, steps/*). The JSON Schema in blueprints/blueprint-schema.json is the
// authority on shapes; these types describe what the parser hands the executor.

/** A resource descriptor, as in the Moodle Playground format (exactly one key). */
export type ResourceDescriptor =
  | { url: string }
  | { base64: string }
  | { 'data-url': string }
  | { bundled: string }
  | { vfs: string }
  | { literal: string | Record<string, unknown> | unknown[] };

/** A step's `data`/`files[].data`: `@name`, a descriptor, or (for writeFile) a literal string. */
export type ResourceRef = string | ResourceDescriptor;

/** One step after validation and `{{CONSTANT}}` substitution. */
export interface BlueprintStep {
  step: string;
  [key: string]: unknown;
}

export interface Blueprint {
  $schema?: string;
  preferredVersions?: { php?: string; moodle?: string };
  landingPage?: string;
  constants?: Record<string, string>;
  resources?: Record<string, ResourceDescriptor>;
  runtime?: { debug?: number; debugdisplay?: number };
  /** Defined in config.php before Moodle's setup: `{ "MY_PLUGIN_FLAG": true }`. */
  phpConstants?: Record<string, string | number | boolean>;
  steps: BlueprintStep[];
}

/** What loadBlueprint() returns: a valid blueprint with constants substituted. */
export interface LoadedBlueprint {
  blueprint: Blueprint;
  /** Human description of where it came from (file path, "inline JSON", "data: URL", …). */
  source: string;
  /** Folder `bundled` resources are relative to (the blueprint file's folder); undefined inline. */
  baseDir?: string;
}

export type { StepResult } from '../report/model.js';
