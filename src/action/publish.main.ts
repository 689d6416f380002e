// dist/publish.js: the entry of publish/action.yml.
import { runPublish } from './publish.js';

await runPublish();
