// The default CI blueprint (blueprints/ci.blueprint.json) for one plugin.
//
// Convention (shared with the executor):
// - The plugin under test is installed by the check from the checkout *before* the blueprint
//   runs, so the CI blueprint has no installMoodlePlugin step.
// - The blueprint's constants PLUGIN_COMPONENT (e.g. mod_board), PLUGIN_TYPE (mod) and
//   PLUGIN_NAME (board) are set from the plugin here; any string in the blueprint may use them.
// - A course MPC101 (the first course: id 2) with teacher1 (editingteacher) and student1
//   (student) enrolled always exists; for an activity module (type mod) an addModule step
//   appends an instance of it in section 1, named "<component> instance".
// ciBlueprint() returns the blueprint validated and with constants substituted, as
// loadBlueprint() would, so the executor runs it like any other.
import ciJson from '../../blueprints/ci.blueprint.json' with { type: 'json' };
import { checkBlueprint } from './parse.js';
import type { Blueprint } from './types.js';

export const CI_COURSE = 'MPC101';

export function ciBlueprint(plugin: { type: string; name: string; component: string }): Blueprint {
  const template = structuredClone(ciJson) as unknown as Blueprint;
  template.constants = {
    ...template.constants,
    PLUGIN_COMPONENT: plugin.component,
    PLUGIN_TYPE: plugin.type,
    PLUGIN_NAME: plugin.name,
  };
  if (plugin.type === 'mod')
    template.steps.push({
      step: 'addModule',
      module: '{{PLUGIN_NAME}}',
      course: CI_COURSE,
      section: 1,
      name: '{{PLUGIN_COMPONENT}} instance',
    });
  return checkBlueprint(template, 'blueprints/ci.blueprint.json');
}
