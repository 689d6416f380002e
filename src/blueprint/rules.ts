import type { RuleMeta } from '../core/rules.js';

/** Findings of the `blueprint` phase of `check --blueprint`. */
export const BLUEPRINT_RULES = {
  stepFailed: {
    id: 'blueprint/step-failed',
    severity: 'error',
    title: 'A critical blueprint step failed on the installed plugin',
    why: 'The blueprint (the same one a reviewer’s Moodle Playground runs) could not complete on a real Moodle with the plugin installed: the preview would break the same way, and the plugin may fail where the step uses it (for example creating an instance of an activity).',
    fix: 'Read the step’s index, name and Moodle’s message in the finding; fix the plugin, or the blueprint when the step itself is wrong (`moodle-plugin-check blueprint run FILE --plugin DIR` reproduces it).',
  },
  stepWarning: {
    id: 'blueprint/step-warning',
    severity: 'warning',
    title: 'A blueprint step failed, and the run went on',
    why: 'As in the Moodle Playground, a step that is not `critical` does not stop the blueprint: the later steps ran, but whatever this step should have made (a course, a user, an instance of the activity) is missing from the site a reviewer sees.',
    fix: 'Read the step’s index, name and Moodle’s message; fix the plugin or the step. Mark a step `"critical": true` when nothing after it makes sense without it.',
  },
} as const satisfies Record<string, RuleMeta>;
