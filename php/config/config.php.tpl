<?php  // Moodle configuration file written by moodle-plugin-check.
// Template: every {{NAME}} is replaced by a PHP single-quoted string literal
// (quotes included, ' and \ escaped), e.g. {{DBFILE}} -> '/work/site/moodle.sqlite'.
//   {{WWWROOT}}              site URL without trailing slash
//   {{DATAROOT}}             moodledata directory (must exist and be writable)
//   {{DBFILE}}               SQLite database file (created by the installer if missing)
//   {{STRING_MANAGER_FILE}}  absolute path of string_manager.php (php/moodle/ in this project)
//   {{SODIUM_FALLBACK_FILE}} absolute path of sodium_fallback.php (php/moodle/ in this project)
// The same file works for the classic layout (4.1-5.0, at the root next to version.php)
// and the 5.1+ layout (at the root, next to public/).

unset($CFG);
global $CFG;
$CFG = new stdClass();

// Database: the sqlite3 PDO driver from php/lib/dml, copied into lib/dml (public/lib/dml on 5.1+).
$CFG->dbtype    = 'sqlite3';
$CFG->dblibrary = 'pdo';
$CFG->dbhost    = 'localhost';
$CFG->dbname    = {{DBFILE}};
$CFG->dbuser    = '';
$CFG->dbpass    = '';
$CFG->prefix    = 'mdl_';
$CFG->dboptions = [
    // Disposable site: no fsync, rollback journal kept in memory (see sqlite-driver.md).
    'synchronous' => 'OFF',
    'journalmode' => 'MEMORY',
];

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

// Memoising string manager (php-wasm leaks memory on repeated includes of lang files).
// Moodle's autoloader cannot find it, so register a loader for this one class; it runs
// after lib/setup.php has installed Moodle's loader, which resolves the parent class.
$CFG->customstringmanager = 'mpc_string_manager';
spl_autoload_register(function (string $class): void {
    if ($class === 'mpc_string_manager') {
        require_once({{STRING_MANAGER_FILE}});
    }
});

// php-wasm has no sodium extension; Moodle's encryption needs secretbox (reported as an adjustment).
require_once({{SODIUM_FALLBACK_FILE}});

require_once(__DIR__ . '/lib/setup.php'); // Do not edit.
