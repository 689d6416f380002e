import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadFixture } from '../../checks/testing.js';
import { evaluateEnvironment } from './environment-eval.js';
import { readMoodleTree } from '../../moodle/source/tree.js';

/** A tiny Moodle 4.5 tree: core version.php, components.json, two activity modules. */
function tree45(): string {
  const root = mkdtempSync(path.join(tmpdir(), 'mpc-env-'));
  const write = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    writeFileSync(path.join(root, rel), text);
  };
  write(
    'version.php',
    "<?php\n$version = 2024100707.00;\n$release = '4.5.7 (Build: 20251020)';\n$branch = '405';\n",
  );
  write(
    'lib/components.json',
    JSON.stringify({ plugintypes: { mod: 'mod', local: 'local' }, subsystems: {} }),
  );
  write('admin/cli/upgrade.php', '<?php');
  write(
    'mod/forum/version.php',
    "<?php\n$plugin->version = 2024100700;\n$plugin->component = 'mod_forum';\n",
  );
  write(
    'mod/page/version.php',
    "<?php\n$plugin->version = 2024100700;\n$plugin->component = 'mod_page';\n",
  );
  return root;
}

describe('evaluateEnvironment', () => {
  it('judges requires, supported, dependencies and environment.xml, and lists what it could not check', () => {
    const result = evaluateEnvironment(loadFixture('environment-needs'), readMoodleTree(tree45()), {
      php: '8.3',
      extensions: new Set(['core', 'json', 'pdo_sqlite']),
    });
    expect(result.findings.map((f) => `${f.ruleId} ${f.file ?? ''}:${f.line ?? ''}`)).toEqual([
      'environment/requires-not-met version.php:6',
      'environment/branch-not-supported version.php:7',
      'environment/branch-incompatible version.php:8',
      'environment/dependency-missing version.php:12',
      'environment/dependency-missing version.php:13',
      'environment/php-version environment.xml:4',
      'environment/not-checked environment.xml:',
      'environment/not-checked environment.xml:9',
    ]);
    expect(result.findings[6]?.message).toContain('sodium');
    expect(
      result.findings.find((f) => f.ruleId === 'environment/branch-not-supported')?.severity,
    ).toBe('warning');
    expect(result.passed).toEqual(['dependency mod_page', 'extension json']);
  });

  it('passes a plugin that asks for nothing special', () => {
    const result = evaluateEnvironment(loadFixture('mod_example'), readMoodleTree(tree45()), {
      php: '8.3',
      extensions: new Set(),
    });
    expect(result.findings).toEqual([]);
    expect(result.passed).toEqual(['requires', 'supported']);
  });
});
