import { describe, expect, it } from 'vitest';
import { dbFamily } from './db.js';
import { validCronField } from './db-registries.js';
import { findingsOf, lint } from './testing.js';

describe('db family', () => {
  it('finds nothing in the clean example module', () => {
    expect(lint(dbFamily, 'mod_example')).toEqual([]);
  });

  it('reports malformed install.xml at the parse error', () => {
    expect(lint(dbFamily, 'db-bad-install-xml')).toEqual([
      'db/install-xml-malformed db/install.xml:10',
    ]);
  });

  it('checks the XMLDB structure, names, types, lengths and keys', () => {
    expect(lint(dbFamily, 'db-xmldb')).toEqual(
      [
        'db/xmldb-path db/install.xml:2',
        'db/field-type db/install.xml:7',
        'db/field-length db/install.xml:8',
        'db/field-length db/install.xml:9',
        'db/field-length db/install.xml:10',
        'db/xmldb-structure db/install.xml:11',
        'db/field-default db/install.xml:11',
        'db/duplicate-name db/install.xml:11',
        'db/unknown-field-reference db/install.xml:18',
        'db/index-field db/install.xml:21',
        'db/index-duplicates-key db/install.xml:22',
        'db/missing-primary-key db/install.xml:25',
        'db/table-name db/install.xml:30',
        'db/missing-primary-key db/install.xml:36',
        'db/foreign-key-reference db/install.xml:37',
        'db/duplicate-name db/install.xml:40',
        'db/primary-key-not-id db/install.xml:48',
      ].sort(),
    );
  });

  it('uses the pre-4.3 name limits when the plugin supports Moodle 4.1', () => {
    const messages = findingsOf(dbFamily, 'db-xmldb').map((f) => f.message);
    expect(messages.some((m) => m.includes('the limit is 28'))).toBe(true);
  });

  it('checks capabilities, message providers and the upgrade function name', () => {
    expect(lint(dbFamily, 'db-access')).toEqual(
      [
        'db/upgrade-function-missing db/upgrade.php:1',
        'db/capability-name db/access.php:10',
        'db/capability-riskbitmask db/access.php:11',
        'db/capability-captype db/access.php:12',
        'db/capability-contextlevel db/access.php:13',
        'db/capability-archetype db/access.php:15',
        'db/capability-archetype db/access.php:16',
        'db/capability-clone db/access.php:18',
        'db/capability-name db/access.php:20',
        'db/capability-missing-field db/access.php:20',
        'db/message-provider db/messages.php:8',
        'db/message-constant db/messages.php:9',
      ].sort(),
    );
  });

  it('checks task, service and observer classes and cron fields', () => {
    expect(lint(dbFamily, 'db-tasks-services-events')).toEqual(
      [
        'db/upgrade-function-signature db/upgrade.php:4',
        'db/service-class-missing db/services.php:6',
        'db/service-function-name db/services.php:10',
        'db/service-type db/services.php:13',
        'db/task-class-missing db/tasks.php:14',
        'db/task-cron-field db/tasks.php:15',
        'db/task-cron-field db/tasks.php:16',
        'db/task-cron-field db/tasks.php:17',
        'db/observer-invalid db/events.php:11',
        'db/observer-invalid db/events.php:15',
        'db/observer-invalid db/events.php:17',
      ].sort(),
    );
  });

  it('parses Moodle cron fields', () => {
    expect(validCronField('*', 0, 59)).toBe(true);
    expect(validCronField('R', 0, 59)).toBe(true);
    expect(validCronField('*/15', 0, 59)).toBe(true);
    expect(validCronField('1-5/2,30', 0, 59)).toBe(true);
    expect(validCronField('7', 0, 7)).toBe(true);
    expect(validCronField('60', 0, 59)).toBe(false);
    expect(validCronField('5-1', 0, 59)).toBe(false);
    expect(validCronField('0', 1, 31)).toBe(false);
    expect(validCronField('', 0, 59)).toBe(false);
  });

  it('documents every rule', () => {
    for (const r of dbFamily.rules) {
      expect(r.id).toMatch(/^db\/[a-z-]+$/);
      expect(r.why.length).toBeGreaterThan(40);
      expect(r.fix.length).toBeGreaterThan(10);
    }
  });
});
