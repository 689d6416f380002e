import type { RuleMeta } from './types.js';

/** The requirements/* rule catalogue. */
export const REQUIREMENTS_RULES = [
  {
    id: 'requirements/missing-file',
    severity: 'error',
    title: 'A file Moodle needs for this plugin type is missing',
    why: "Moodle loads these files by name for the plugin type (lib.php, view.php, mod_form.php and index.php of an activity, block_<name>.php, auth.php, format.php, a theme's config.php, a filter's filter.php or classes/text_filter.php, ...). Without them installing, adding or using the plugin fails, and moodle-plugin-ci validate fails.",
    fix: 'Add the file with the content Moodle expects for the plugin type.',
  },
  {
    id: 'requirements/missing-function',
    severity: 'error',
    title: 'A function Moodle calls is not declared',
    why: 'Moodle calls <name>_add_instance, _update_instance and _delete_instance in lib.php by name when an activity is added, edited or deleted; a missing one is a fatal error (or the cannotdeletemodulemissingfunc exception) at that moment. moodle-plugin-ci validate fails on the first two. (A missing xmldb_*_upgrade is db/upgrade-function-missing.)',
    fix: 'Declare the function at file level of lib.php with exactly this name.',
  },
  {
    id: 'requirements/missing-class',
    severity: 'error',
    title: 'The main class of the plugin is missing',
    why: 'Moodle instantiates the main class by name (block_<name>, auth_plugin_<name>, filter_<name> or filter_<name>\\text_filter, repository_<name>); without it the block cannot be installed or shown, the authentication method or repository cannot load, or the filter silently never runs. moodle-plugin-ci validate fails too.',
    fix: 'Declare the class with exactly this name in the file Moodle loads.',
  },
  {
    id: 'requirements/missing-capability',
    severity: 'error',
    title: 'A capability Moodle checks is not defined',
    why: 'Moodle checks repository/<name>:view before it shows a repository to anyone; has_capability() returns false for an undefined capability, so nobody can ever use the repository. moodle-plugin-ci validate fails too.',
    fix: 'Define the capability in $capabilities in db/access.php (and its name string).',
  },
  {
    id: 'requirements/missing-addinstance-capability',
    severity: 'warning',
    title: 'The capability controlling who may add the plugin is not defined',
    why: "Without mod/<name>:addinstance (or a block's db/access.php with its addinstance capabilities) Moodle logs a debugging message and lets every editing user add the activity or block, with no way for admins to restrict it. moodle-plugin-ci validate fails on it.",
    fix: 'Define <type>/<name>:addinstance in db/access.php, cloning permissions from moodle/course:manageactivities (activities) or moodle/site:manageblocks (blocks).',
  },
  {
    id: 'requirements/missing-table',
    severity: 'error',
    title: 'The main table of an activity module is missing',
    why: 'Moodle core reads and deletes activity instances from a table named exactly like the module (course module lists, backup, deletion, the recycle bin). Without it those operations fail with database errors. moodle-plugin-ci validate fails too.',
    fix: 'Add a table named <name> (with id, course, name, intro, introformat, timemodified) to db/install.xml.',
  },
  {
    id: 'requirements/table-prefix',
    severity: 'warning',
    title: 'A table name does not start with the plugin name',
    why: "All plugins share one table namespace; tables must start with the frankenstyle component (an activity module's with its name, question types' with qtype_ or question_) so two plugins never collide. Plugins directory reviewers ask for it and moodle-plugin-ci validate fails.",
    fix: 'Rename the table with the plugin prefix (an upgrade step with $dbman->rename_table() for released versions).',
  },
  {
    id: 'requirements/behat-tags',
    severity: 'warning',
    title: 'A Behat feature lacks the plugin tags',
    why: "moodle-plugin-ci and Moodle's own runner select a plugin's features by the @<type> and @<component> tags before Feature:; an untagged feature is silently never run, and moodle-plugin-ci validate fails.",
    fix: 'Add a line such as "@mod @mod_example" above the Feature: line.',
  },
  {
    id: 'requirements/filter-class-alias',
    severity: 'warning',
    title: 'filter.php does not alias the new filter class',
    why: 'A filter with classes/text_filter.php keeps filter.php only for Moodle 4.4 and older, where it must make filter_<name> an alias of filter_<name>\\text_filter with a file-level class_alias() call. moodle-plugin-ci validate fails without it (https://moodledev.io/docs/4.5/devupdate#filter-plugins).',
    fix: 'Make filter.php contain only: class_alias(\\filter_<name>\\text_filter::class, \\filter_<name>::class);',
  },
  {
    id: 'requirements/filter-legacy-class',
    severity: 'warning',
    title: 'The filter uses the deprecated filter.php class on Moodle 4.5+',
    why: 'Since Moodle 4.5 filters are the class filter_<name>\\text_filter in classes/text_filter.php; the filter_<name> class in filter.php still loads with a deprecation message on every page and will stop working when the fallback is removed. moodle-plugin-ci validate on 4.5+ fails.',
    fix: 'Move the class to classes/text_filter.php as filter_<name>\\text_filter, and keep filter.php as a class_alias() for older branches.',
  },
  {
    id: 'requirements/format-renderer',
    severity: 'warning',
    title: 'renderer.php does not declare the format renderer',
    why: 'When a course format ships renderer.php, Moodle and moodle-plugin-ci expect format_<name>_renderer in it; otherwise Moodle falls back to a legacy renderer with a debugging message (unless classes/output/renderer.php provides one) and moodle-plugin-ci validate fails.',
    fix: 'Declare format_<name>_renderer in renderer.php, or move the renderer to classes/output/renderer.php and delete renderer.php.',
  },
  {
    id: 'requirements/not-top-level',
    severity: 'warning',
    title: 'Declared where moodle-plugin-ci validate does not look',
    why: 'moodle-plugin-ci validate only sees functions and classes declared at the top level of the expected file. Moodle finds this one (inside if (!function_exists()) or in a file the expected one includes), but validate reports it missing and fails the build.',
    fix: 'Declare it unconditionally at the top level of the expected file.',
  },
] as const satisfies readonly RuleMeta[];
