<?php
// Installs the plugin under test into Moodle's PHPUnit test site (phpu_ tables, phpunit dataroot)
// that `admin/tool/phpunit/cli/util.php --install` made without it, then finishes it as Moodle's
// phpunit_util::install_site() finishes a test site: adhoc tasks run, original data files kept,
// versions hash and database state stored. The plugin is installed by Moodle's own
// upgrade_noncore(), the function install_cli_database() installs every plugin with.
// Usage: php testsite.php <path of Moodle's lib/phpunit/bootstrap.php> <vendor/autoload.php>

[, $bootstrap, $autoload] = $argv;
define('PHPUNIT_UTIL', true);
require_once($autoload);
require($bootstrap);
require_once($CFG->libdir . '/adminlib.php');
require_once($CFG->libdir . '/upgradelib.php');
require_once($CFG->libdir . '/clilib.php');
// Under PHPUNIT_UTIL, setup.php leaves the site's settings unread (util.php may be about to
// install): read them as a normal run does.
initialise_cfg();

/** The protected steps of install_site(), reachable from a subclass (named phpunit_*: testing_util::get_framework() reads the framework from the class name). */
final class phpunit_mpc_testsite extends phpunit_util {
    public static function finish(): void {
        while ($task = \core\task\manager::get_next_adhoc_task(time())) {
            $task->execute();
            \core\task\manager::adhoc_task_complete($task);
        }
        self::save_original_data_files();
        self::store_versions_hash();
        self::store_database_state();
    }
}

[$errorcode, $message] = phpunit_util::testing_ready_problem();
if ($errorcode === 0) {
    echo "The test site is already up to date.\n";
    exit(0);
}
if ($errorcode !== PHPUNIT_EXITCODE_REINSTALL) {
    fwrite(STDERR, "The PHPUnit test site is not usable ($errorcode): $message\n");
    exit(1);
}
if (moodle_needs_upgrading() === false) {
    fwrite(STDERR, "Nothing to install: Moodle sees no new plugin.\n");
    exit(1);
}
// As admin/cli/upgrade.php does for the plugins it installs.
define('CLI_UPGRADE_RUNNING', true);
upgrade_noncore(true);
// As admin/cli/upgrade.php goes on: as admin, the new plugins' admin settings get their defaults
// (a test site made by util.php --install with the plugin present has them too).
\core\session\manager::set_user(get_admin());
admin_apply_default_settings(null, false);
phpunit_mpc_testsite::finish();
echo "\nmpc: plugin installed into the PHPUnit test site\n";
