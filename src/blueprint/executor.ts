// Runs a loaded blueprint's steps in order on a site. Each step gets a result (ok, failed or
// skipped, its time and output). As in the Moodle Playground (its executor.js), a failed step is
// recorded and the run goes on, unless the step is `critical`: then the run stops there and every
// later step is `skipped`. Consecutive Moodle API steps share one PHP process (each PHP boot plus
// Moodle bootstrap costs 1–3 s); each still gets its own result, and a PHP crash in one of them
// re-runs the rest of the batch in a new process.
import { UserError } from '../core/errors.js';
import { resolveResource, type ResourceContext } from './resources.js';
import type { BlueprintSite, MoodleOp, OpsRun } from './site-api.js';
import { CookieJar } from './steps/cookies.js';
import { STEP_HANDLERS } from './steps/index.js';
import type { RunState, StepContext, StepHandler } from './steps/types.js';
import type { BlueprintStep, LoadedBlueprint, ResourceRef, StepResult } from './types.js';

export interface RunOptions {
  /** Called after each step (progress for humans). */
  onStep?: (result: StepResult) => void;
  /** Per-attempt timeout for url resources. */
  fetchTimeoutMs?: number;
  /** All attempts of one url resource end within this long (default DEFAULT_RESOURCE_DEADLINE_MS). */
  deadlineMs?: number;
  /** Overrides resource resolution (tests). */
  resolve?: (ref: ResourceRef, field: string) => Promise<Uint8Array>;
}

export interface BlueprintRun {
  steps: StepResult[];
  /** Where the site should open: setLandingPage, else the blueprint's landingPage. */
  landingPage?: string;
  /** Index of the critical step whose failure stopped the run, if one did. */
  failedIndex?: number;
  /** Every failed step, in order (the critical one last, when there is one). */
  failed: number[];
}

/** Pseudo-step index for `runtime` settings applied before step 0. */
const RUNTIME_INDEX = -1;

const errorMessage = (e: unknown): string => {
  if (e instanceof UserError) return e.hint ? `${e.message} ${e.hint}` : e.message;
  return e instanceof Error ? e.message : String(e);
};

export async function runBlueprint(
  loaded: LoadedBlueprint,
  site: BlueprintSite,
  options: RunOptions = {},
): Promise<BlueprintRun> {
  const { blueprint } = loaded;
  const state: RunState = {
    ...(blueprint.landingPage !== undefined ? { landingPage: blueprint.landingPage } : {}),
  };
  const resourceCtx: ResourceContext = {
    blueprint,
    ...(loaded.baseDir !== undefined ? { baseDir: loaded.baseDir } : {}),
    readVfs: (p) => Promise.resolve(site.files.read(p, p)),
    ...(options.fetchTimeoutMs !== undefined ? { fetchTimeoutMs: options.fetchTimeoutMs } : {}),
    ...(options.deadlineMs !== undefined ? { http: { deadlineMs: options.deadlineMs } } : {}),
  };
  const resolve =
    options.resolve ??
    ((ref: ResourceRef, field: string) => resolveResource(ref, resourceCtx, field));
  const cookies = new CookieJar();
  const results: StepResult[] = blueprint.steps.map((s, index) => ({
    index,
    step: s.step,
    status: 'skipped',
    durationMs: 0,
  }));
  const context = (index: number, step: BlueprintStep): StepContext => ({
    site,
    loaded,
    where: `steps/${index} (${step.step})`,
    resolve,
    cookies,
    state,
  });

  if (blueprint.phpConstants && Object.keys(blueprint.phpConstants).length > 0)
    site.defineConstants?.(blueprint.phpConstants);
  // Moodle operations waiting to run in one PHP call, with the time spent building them.
  let batch: { op: MoodleOp; buildMs: number }[] = [];
  const runtime = blueprint.runtime;
  if (runtime && (runtime.debug !== undefined || runtime.debugdisplay !== undefined))
    batch.push({ op: { index: RUNTIME_INDEX, op: 'runtime', args: runtime }, buildMs: 0 });

  const failed: number[] = [];
  /** Records a failure; the run's end when the step was critical, else undefined (go on). */
  const fail = (index: number, error: string, durationMs: number): BlueprintRun | undefined => {
    const r = results[index];
    if (r) Object.assign(r, { status: 'failed', error, durationMs: Math.round(durationMs) });
    if (r) options.onStep?.(r);
    failed.push(index);
    return blueprint.steps[index]?.critical === true ? finish(index) : undefined;
  };
  const finish = (failedIndex?: number): BlueprintRun => ({
    steps: results,
    ...(state.landingPage !== undefined ? { landingPage: state.landingPage } : {}),
    ...(failedIndex !== undefined ? { failedIndex } : {}),
    failed,
  });

  /** Runs the batch; returns the run's end when a critical operation failed. */
  const flush = async (): Promise<BlueprintRun | undefined> => {
    let pending = batch;
    batch = [];
    while (pending.length > 0) {
      let run: OpsRun;
      const started = performance.now();
      try {
        run = await site.runOps(pending.map((p) => p.op));
      } catch (e) {
        // The process could not run at all: every operation of the batch failed with it.
        for (const p of pending) {
          if (p.op.index === RUNTIME_INDEX) continue;
          const end = fail(p.op.index, errorMessage(e), performance.now() - started);
          if (end) return end;
        }
        return undefined;
      }
      // PHP boot and Moodle's bootstrap are shared: charged to the batch's first step.
      const overhead = Math.max(0, run.totalMs - run.results.reduce((n, r) => n + r.ms, 0));
      let charged = false;
      let rest: typeof pending = [];
      for (const [i, p] of pending.entries()) {
        const r = run.results.find((x) => x.index === p.op.index);
        if (p.op.index === RUNTIME_INDEX) {
          if (r && !r.ok) return failRuntime(`runtime settings failed: ${r.error ?? ''}`);
          if (!r && run.crashed?.index === RUNTIME_INDEX) return failRuntime(run.crashed.message);
          continue;
        }
        const own = (r?.ms ?? 0) + p.buildMs + (charged ? 0 : overhead);
        charged = true;
        if (!r) {
          const crash = run.crashed;
          if (crash && crash.index === p.op.index) {
            const end = fail(p.op.index, crash.message, own);
            if (end) return end;
            rest = pending.slice(i + 1); // the process died here: the rest run in a new one
          }
          break;
        }
        const result = results[p.op.index];
        if (!result) continue;
        result.durationMs = Math.round(own);
        if (r.output !== undefined) result.output = r.output;
        if (!r.ok) {
          const end = fail(p.op.index, r.error ?? 'failed', own);
          if (end) return end;
          continue;
        }
        result.status = 'ok';
        options.onStep?.(result);
      }
      pending = rest;
    }
    return undefined;
  };
  const failRuntime = (message: string): BlueprintRun => {
    failed.push(0);
    const r = results[0];
    if (r) Object.assign(r, { status: 'failed', error: message });
    return finish(0);
  };

  for (const [index, step] of blueprint.steps.entries()) {
    const handler: StepHandler | undefined = STEP_HANDLERS[step.step];
    const ctx = context(index, step);
    const started = performance.now();
    if (!handler) {
      const end = (await flush()) ?? fail(index, `${ctx.where}: unknown step "${step.step}"`, 0);
      if (end) return end;
      continue;
    }
    if (handler.kind === 'ops') {
      let op: { op: string; args: unknown };
      try {
        op = await handler.build(step, ctx);
      } catch (e) {
        const end = (await flush()) ?? fail(index, errorMessage(e), performance.now() - started);
        if (end) return end;
        continue;
      }
      // A critical operation goes last in its batch: PHP stops at its failure.
      const critical = step.critical === true;
      batch.push({
        op: { index, ...op, ...(critical ? { critical: true } : {}) },
        buildMs: performance.now() - started,
      });
      continue;
    }
    const end = await flush();
    if (end) return end;
    const t = performance.now();
    try {
      const output = await handler.run(step, ctx);
      const result = results[index]!;
      Object.assign(result, { status: 'ok', durationMs: Math.round(performance.now() - t) });
      if (output) result.output = output;
      options.onStep?.(result);
    } catch (e) {
      const end = fail(index, errorMessage(e), performance.now() - t);
      if (end) return end;
    }
  }
  const end = await flush();
  return end ?? finish();
}

/** "step 3 (createCourse) failed: …" for reports and findings. */
export function describeFailure(result: StepResult): string {
  return `step ${result.index} (${result.step}) failed: ${result.error ?? 'no message'}`;
}
