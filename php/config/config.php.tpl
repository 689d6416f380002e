<?php  // Moodle configuration file written by moodle-plugin-check.
// Template: every {{NAME}} is replaced by a PHP single-quoted string literal
// (quotes included, ' and \ escaped), e.g. {{DBNAME}} -> '/persist/moodle.sqlite'.
//   {{WWWROOT}}              site URL without trailing slash
//   {{DATAROOT}}             moodledata directory (must exist and be writable)
//   {{DBTYPE}}, {{DBLIBRARY}} 'sqlite3', 'pdo' (our SQLite driver) or 'pglite', 'native' (Moodle's
//                            PostgreSQL driver over PGlite, php/lib/dml/pglite_*.php)
//   {{DBNAME}}               SQLite: the database file (created by the installer if missing)
//   {{STRING_MANAGER_FILE}}  absolute path of string_manager.php (php/moodle/ in this project)
//   {{SODIUM_FALLBACK_FILE}} absolute path of sodium_fallback.php (php/moodle/ in this project)
// The same file works for the classic layout (4.1-5.0, at the root next to version.php)
// and the 5.1+ layout (at the root, next to public/).

unset($CFG);
global $CFG;
$CFG = new stdClass();

// Database: our sqlite3 PDO driver, or Moodle's PostgreSQL driver over PGlite (both from
// php/lib/dml, injected into lib/dml; public/lib/dml on 5.1+).
$CFG->dbtype    = {{DBTYPE}};
$CFG->dblibrary = {{DBLIBRARY}};
$CFG->dbhost    = 'localhost';
$CFG->dbname    = {{DBNAME}};
$CFG->dbuser    = 'postgres';
$CFG->dbpass    = '';
$CFG->prefix    = 'mdl_';
$CFG->dboptions = $CFG->dbtype === 'sqlite3' ? [
    // Disposable site: no fsync, rollback journal kept in memory (see sqlite-driver.md).
    'synchronous' => 'OFF',
    'journalmode' => 'MEMORY',
] : [];

$CFG->wwwroot   = {{WWWROOT}};
$CFG->dataroot  = {{DATAROOT}};
$CFG->admin     = 'admin';
$CFG->directorypermissions = 02777;

// Report everything: install/upgrade output is what we parse for findings.
$CFG->debug = E_ALL; // Equals DEBUG_DEVELOPER on PHP 8.
$CFG->debugdisplay = 1;

// No network and no mail: the check must be hermetic.
$CFG->noemailever = true;
$CFG->disableupdatenotifications = true;
$CFG->disableupdateautodeploy = true;
$CFG->site_is_public = false;

// Portable locking: flock() is not reliable on every virtual filesystem (php-wasm).
$CFG->lock_factory = '\core\lock\db_record_lock_factory';

// Memoising string manager (without caches Moodle re-includes lang files for every string).
// Moodle's autoloader cannot find it, so register a loader for this one class; it runs
// after lib/setup.php has installed Moodle's loader, which resolves the parent class.
$CFG->customstringmanager = 'mpc_string_manager';
spl_autoload_register(function (string $class): void {
    if ($class === 'mpc_string_manager') {
        require_once({{STRING_MANAGER_FILE}});
    } else if ($class === 'mpc_cache_factory') {
        require_once(dirname({{STRING_MANAGER_FILE}}) . '/legacy_cache.php');
    }
});

// Moodle with cache/locallib.php (4.1; 4.5+ have none): the installer re-reads every db/caches.php and muc/config.php
// for each new cache definition (~4,800 times in 4.1, minutes of compiling in php-wasm), so this
// factory's install-time writer reads them once (php/moodle/legacy_cache.php).
if (file_exists(__DIR__ . '/cache/locallib.php')) {
    $CFG->alternative_cache_factory_class = 'mpc_cache_factory';
}

// upgrade.php ends by building the site theme's CSS. For a theme under test moodle-plugin-check
// makes that the theme itself (so its SCSS is compiled and errors reported); for other plugins it
// is theme_mpc, which has no SCSS (Boost's compile is 5-10 s in php-wasm and unrelated to the
// plugin). MPC_UPGRADE_THEME comes from a file prepended to upgrade runs only; reported.
if (defined('MPC_UPGRADE_THEME')) {
    $CFG->theme = MPC_UPGRADE_THEME;
}

// php-wasm has no sodium extension; Moodle's encryption needs secretbox (reported as an adjustment).
require_once({{SODIUM_FALLBACK_FILE}});

require_once(__DIR__ . '/lib/setup.php'); // Do not edit.
