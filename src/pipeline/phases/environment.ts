// environment: the plugin's requires, supported, incompatible, dependencies and environment.xml
// against the Moodle and PHP used; what cannot be checked here is said so, never passed.
import { ENVIRONMENT_EVAL_RULES, evaluateEnvironment } from './environment-eval.js';
import { session } from './install.js';
import { moodleSkipped, type Phase } from './phase.js';

export const environment: Phase = {
  name: 'environment',
  skipped: moodleSkipped,
  async run(ctx, phase, run) {
    const { site, resolved, php } = session(ctx.moodle);
    const result = evaluateEnvironment(
      ctx.plugin,
      resolved.tree,
      { php, extensions: await site.loadedExtensions() },
      new Map((ctx.dependencies ?? []).map((d) => [d.component, d.version])),
    );
    const found = run.add(result.findings);
    if (found.some((f) => f.severity === 'error')) phase.status = 'failed';
    const unchecked = result.findings.filter(
      (f) => f.ruleId === ENVIRONMENT_EVAL_RULES.notChecked.id,
    ).length;
    if (result.findings.length === 0 && result.passed.length === 0) {
      phase.status = 'skipped';
      phase.detail =
        'nothing to check: no requires, supported, incompatible, dependencies or environment.xml';
      return;
    }
    phase.detail = `checked against Moodle ${resolved.tree.branch} and PHP ${php}: ${result.passed.length > 0 ? `passed ${result.passed.join(', ')}` : 'nothing passed'}${unchecked > 0 ? `; ${unchecked} requirement group(s) not checkable here` : ''}`;
  },
};
