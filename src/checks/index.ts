import { amdFamily } from './amd.js';
import { classesFamily } from './classes.js';
import { dbFamily } from './db.js';
import { environmentFamily } from './environment.js';
import { filesFamily } from './files.js';
import { langFamily } from './lang.js';
import { moodlenetFamily } from './moodlenet.js';
import { phpFamily } from './php.js';
import { requirementsFamily } from './requirements.js';
import { savepointsFamily } from './savepoints.js';
import { subpluginsFamily } from './subplugins.js';
import { thirdpartylibsFamily } from './thirdpartylibs.js';
import type { CheckFamily } from './types.js';
import { versionFamily } from './version.js';

/** Every static check family, in report order. */
export const FAMILIES: readonly CheckFamily[] = [
  versionFamily,
  phpFamily,
  langFamily,
  requirementsFamily,
  dbFamily,
  savepointsFamily,
  subpluginsFamily,
  classesFamily,
  thirdpartylibsFamily,
  environmentFamily,
  filesFamily,
  amdFamily,
  moodlenetFamily,
];
