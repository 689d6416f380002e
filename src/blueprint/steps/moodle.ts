// Steps that are Moodle API calls (php/blueprint/ops_lib.php). Singular steps become the plural
// operation with one item, so each has one implementation inside Moodle.
import { UserError } from '../../core/errors.js';
import type { BlueprintStep, ResourceRef } from '../types.js';
import { list, str, type StepContext, type StepHandler } from './types.js';

const omit = (step: BlueprintStep, keys: readonly string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(step).filter(([k]) => k !== 'step' && !keys.includes(k)));

const one = (op: string, key: string): StepHandler => ({
  kind: 'ops',
  build: (step) => Promise.resolve({ op, args: { [key]: [omit(step, [])] } }),
});

const many = (op: string, key: string): StepHandler => ({
  kind: 'ops',
  build: (step) => Promise.resolve({ op, args: { [key]: list(step, key) } }),
});

const ADD_MODULE_FIELDS = ['module', 'course', 'section', 'name', 'intro', 'files'] as const;
let tmpFiles = 0;

export const MOODLE_STEPS: Record<string, StepHandler> = {
  // Moodle is installed by the provision phase (as in the Playground); its options are applied
  // with Moodle's APIs (site name, admin account, timezone, language when installed).
  installMoodle: {
    kind: 'ops',
    build: (step) =>
      Promise.resolve({ op: 'installMoodle', args: { options: step.options ?? {} } }),
  },
  setAdminAccount: {
    kind: 'ops',
    build: (step) => Promise.resolve({ op: 'setAdminAccount', args: omit(step, []) }),
  },
  setConfig: {
    kind: 'ops',
    build: (step) => Promise.resolve({ op: 'setConfigs', args: { configs: [omit(step, [])] } }),
  },
  setConfigs: many('setConfigs', 'configs'),
  createUser: one('createUsers', 'users'),
  createUsers: many('createUsers', 'users'),
  createCategory: one('createCategories', 'categories'),
  createCategories: many('createCategories', 'categories'),
  createCourse: one('createCourses', 'courses'),
  createCourses: many('createCourses', 'courses'),
  createSection: one('createSections', 'sections'),
  createSections: many('createSections', 'sections'),
  enrolUser: one('enrolUsers', 'enrolments'),
  enrolUsers: many('enrolUsers', 'enrolments'),
  addModule: {
    kind: 'ops',
    async build(step, ctx) {
      const files = [];
      for (const [i, f] of list(step, 'files').entries()) {
        const field = `${ctx.where}.files/${i}`;
        if (typeof f.filename !== 'string' || f.filename === '')
          throw new UserError(`${field}.filename: required.`);
        const data = await ctx.resolve(f.data as ResourceRef, `${field}.data`);
        // PHP reads the bytes from /persist; Moodle's file storage then keeps its own copy.
        const source = `/persist/mpc-blueprint/module-file-${++tmpFiles}`;
        ctx.site.files.write(source, data, field);
        files.push({ ...f, data: undefined, source });
      }
      return {
        op: 'addModule',
        args: {
          module: str(step, 'module'),
          course: str(step, 'course'),
          section: step.section ?? 0,
          name: str(step, 'name') ?? str(step, 'module'),
          intro: str(step, 'intro') ?? '',
          files,
          // The format copies any other field to the module's record.
          extra: omit(step, ADD_MODULE_FIELDS),
        },
      };
    },
  },
  setLandingPage: {
    kind: 'run',
    run(step, ctx: StepContext) {
      const p = str(step, 'path') ?? '/';
      if (!p.startsWith('/')) throw new UserError(`${ctx.where}.path: "${p}" must start with "/".`);
      ctx.state.landingPage = p;
      return Promise.resolve(`landing page ${p}`);
    },
  },
};
