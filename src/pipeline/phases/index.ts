// The phases of `check`, in the order they run. Adding a capability is adding a file here.
import { blueprint } from './blueprint.js';
import { codingStyle } from './coding-style.js';
import { dependencies } from './dependencies.js';
import { detect } from './detect.js';
import { environment } from './environment.js';
import { install } from './install.js';
import { lint } from './lint.js';
import { css, javascript } from './linters.js';
import type { Phase } from './phase.js';
import { phpdoc } from './phpdoc.js';
import { phpunit } from './phpunit.js';
import { provision } from './provision.js';
import { smoke } from './smoke.js';
import { templates } from './templates.js';
import { upgradePath } from './upgrade-path.js';

export const PHASES: readonly Phase[] = [
  detect,
  lint,
  codingStyle,
  phpdoc,
  provision,
  dependencies,
  install,
  blueprint,
  upgradePath,
  environment,
  templates,
  javascript,
  css,
  smoke,
  phpunit,
];

export type { Phase };
