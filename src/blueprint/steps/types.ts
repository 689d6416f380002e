// The contract between the executor and step handlers.
import type { ResourceRef, BlueprintStep, LoadedBlueprint } from '../types.js';
import type { BlueprintSite } from '../site-api.js';
import type { CookieJar } from './cookies.js';

export interface RunState {
  /** Where the site should open (blueprint landingPage, then setLandingPage steps). */
  landingPage?: string;
}

export interface StepContext {
  site: BlueprintSite;
  loaded: LoadedBlueprint;
  /** How errors name this step, e.g. `steps/3 (writeFile)`. */
  where: string;
  resolve(ref: ResourceRef, field: string): Promise<Uint8Array>;
  cookies: CookieJar;
  state: RunState;
}

/**
 * `ops`: a Moodle API operation; consecutive ones run in one PHP process (a PHP boot costs
 * 1–3 s). `run`: anything else; returns the step's output line.
 */
export type StepHandler =
  | {
      kind: 'ops';
      build(step: BlueprintStep, ctx: StepContext): Promise<{ op: string; args: unknown }>;
    }
  | { kind: 'run'; run(step: BlueprintStep, ctx: StepContext): Promise<string> };

/** A step's field as a string (the schema already checked types; this keeps TS honest). */
export function str(step: BlueprintStep, key: string): string | undefined {
  const v = step[key];
  return typeof v === 'string' ? v : undefined;
}

export function list(step: BlueprintStep, key: string): Record<string, unknown>[] {
  const v = step[key];
  return Array.isArray(v) ? (v as Record<string, unknown>[]) : [];
}
