// The baseline a lint is compared with: start Node, walk the plugin and read every file once.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

let bytes = 0;
const visit = (dir) => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const p = path.join(dir, e.name);
    if (e.isDirectory()) visit(p);
    else if (e.isFile()) bytes += readFileSync(p).length;
  }
};
visit(process.argv[2]);
process.stdout.write(String(bytes));
