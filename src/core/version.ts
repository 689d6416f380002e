import pkg from '../../package.json' with { type: 'json' };

export const TOOL = Object.freeze({ name: pkg.name, version: pkg.version });
