import { ADMIN_STEPS } from './admin.js';
import { FILE_STEPS } from './files.js';
import { HTTP_STEPS } from './http.js';
import { MOODLE_STEPS } from './moodle.js';
import { PLUGIN_STEPS } from './plugins.js';
import type { StepHandler } from './types.js';

/** Every step of the Moodle Playground format, by name. */
export const STEP_HANDLERS: Readonly<Record<string, StepHandler>> = {
  ...MOODLE_STEPS,
  ...PLUGIN_STEPS,
  ...FILE_STEPS,
  ...HTTP_STEPS,
  ...ADMIN_STEPS,
};
