// The `blueprint` phase of `check --blueprint`: runs the blueprint on the site the plugin was just
// installed on. A failed step is a `blueprint/step-failed` error finding with the step's index,
// name and Moodle's message; the steps' results go to the report's `blueprint` field.
import { makeFinding } from '../core/rules.js';
import { resourceDeadlineMs } from '../blueprint/resources.js';
import type { Finding } from '../core/finding.js';
import { describeFailure, runBlueprint, type BlueprintRun } from '../blueprint/executor.js';
import { MoodleBlueprintSite } from '../blueprint/moodle-site.js';
import { BLUEPRINT_RULES } from '../blueprint/rules.js';
import type { LoadedBlueprint } from '../blueprint/types.js';
import type { Site } from '../moodle/site/site.js';
import type { BlueprintReport, PhaseResult } from '../report/model.js';

/**
 * Runs the blueprint in the `blueprint` phase; a failed step is a blueprint/step-failed finding.
 * Returns what the report's `blueprint` field says.
 */
export async function runBlueprintPhase(
  loaded: LoadedBlueprint,
  site: Site,
  workDir: string,
  phase: PhaseResult,
  findings: { add(found: readonly Finding[]): unknown },
): Promise<BlueprintReport> {
  const run = await runBlueprint(loaded, new MoodleBlueprintSite(site, workDir), {
    deadlineMs: resourceDeadlineMs(site.options.timeoutMs),
  });
  const ok = run.steps.filter((s) => s.status === 'ok').length;
  phase.detail = `${loaded.source}: ${ok}/${run.steps.length} steps ok`;
  const reproduce = `Reproduce with: moodle-plugin-check blueprint run ${loaded.baseDir !== undefined ? loaded.source : '<the blueprint>'} --plugin <plugin dir>`;
  findings.add(stepFindings(run, `Blueprint ${loaded.source}`, reproduce));
  const stopped = run.failedIndex !== undefined ? run.steps[run.failedIndex] : undefined;
  if (stopped) {
    phase.status = 'failed';
    phase.detail += `; stopped: ${describeFailure(stopped)}`;
  } else if (run.failed.length > 0)
    phase.detail += `; ${run.failed.length} step${run.failed.length === 1 ? '' : 's'} failed and the run went on`;
  return { source: loaded.source, steps: run.steps, landingPage: run.landingPage ?? null };
}

/** A finding per failed step: an error for the critical one that stopped the run, else a warning. */
function stepFindings(run: BlueprintRun, what: string, hint: string): Finding[] {
  return run.failed.map((i) => {
    const step = run.steps[i]!;
    const rule = i === run.failedIndex ? BLUEPRINT_RULES.stepFailed : BLUEPRINT_RULES.stepWarning;
    return makeFinding(rule, `${what}: ${describeFailure(step)}`, {}, hint);
  });
}

/**
 * With --upgrade-from: the same blueprint on the site where the OLD version is installed, before
 * the upgrade, so the upgrade has data to migrate (courses, users, an instance of the activity).
 * A failed step is a finding about the old version; the upgrade still runs.
 */
export function blueprintBeforeUpgrade(
  loaded: LoadedBlueprint,
  workDir: string,
  findings: Finding[],
  log: (line: string) => void,
): (site: Site) => Promise<void> {
  return async (site) => {
    const run = await runBlueprint(loaded, new MoodleBlueprintSite(site, workDir), {
      deadlineMs: resourceDeadlineMs(site.options.timeoutMs),
    });
    const ok = run.steps.filter((s) => s.status === 'ok').length;
    log(`upgrade-path: blueprint on the old version: ${ok}/${run.steps.length} steps ok`);
    findings.push(
      ...stepFindings(
        run,
        `Blueprint ${loaded.source} on the old version, before the upgrade`,
        'The upgrade ran on whatever data the other steps created; fix the step (or the old version) to test the upgrade with all of it.',
      ),
    );
  };
}
