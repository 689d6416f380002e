// Entry point of dist/cli.js: run the CLI and exit with its code.
import { main } from './main.js';

process.exitCode = await main(process.argv.slice(2));
