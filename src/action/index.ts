// dist/action.js: the entry of action.yml.
import { run } from './main.js';

await run();
