<?php
// This file is part of Moodle - http://moodle.org/
//
// Moodle is free software: you can redistribute it and/or modify
// it under the terms of the GNU General Public License as published by
// the Free Software Foundation, either version 3 of the License, or
// (at your option) any later version.
//
// Moodle is distributed in the hope that it will be useful,
// but WITHOUT ANY WARRANTY; without even the implied warranty of
// MERCHANTABILITY or FITNESS FOR A PARTICULAR PURPOSE.  See the
// GNU General Public License for more details.
//
// You should have received a copy of the GNU General Public License
// along with Moodle.  If not, see <http://www.gnu.org/licenses/>.

/**
 * Memoising cache config writer for the pre-4.4 cache API, shipped by moodle-plugin-check.
 *
 * The installer runs with CACHE_DISABLE_ALL. The disabled cache config knows no definitions, so
 * every cache::make() of a definition not made since the last factory reset re-reads
 * muc/config.php and every plugin's db/caches.php (cache_factory::create_definition() ->
 * update_definitions()): about 4,800 times, 350 MB of PHP source, during a Moodle 4.1 install.
 * php-wasm's OPcache (file_cache_only) keeps the memory of every include until the request ends,
 * so the install runs out of memory; without OPcache it spends minutes compiling the same files.
 * The definitions on disk do not change during a request, so this writer reads them once, and
 * parses muc/config.php again only when its content changed.
 *
 * Enabled from config.php only when cache/locallib.php exists (Moodle before 4.4):
 *   $CFG->alternative_cache_factory_class = 'mpc_cache_factory';
 * With caches enabled mpc_cache_factory is the standard factory; only its disabled-mode writer
 * differs.
 *
 * @package    core
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

// Loaded from an autoloader closure: $CFG is not in scope by itself.
global $CFG;
require_once($CFG->dirroot . '/cache/locallib.php');

/**
 * The standard cache factory whose disabled mode (install) gets the memoising writer.
 */
class mpc_cache_factory extends cache_factory {

    /**
     * Called by cache_factory_disabled for its writer; same contract as the parent.
     *
     * @return cache_config_writer
     */
    public static function get_disabled_writer(): cache_config_writer {
        if (!cache_config::config_file_exists()) {
            cache_config_writer::create_default_configuration(true);
        }
        return new mpc_cache_config_writer();
    }
}

/**
 * cache_config_writer that reads db/caches.php files once per request.
 */
class mpc_cache_config_writer extends cache_config_writer {

    /** @var array<string, array> definitions found on disk, by 'core' or 'all' */
    protected static $mpcdefinitions = [];

    /** @var array{0: string, 1: array}|null sha1 of muc/config.php and its parsed configuration */
    protected static $mpcconfiguration = null;

    /**
     * Same as the parent, from memory unless muc/config.php changed.
     *
     * @return array
     */
    protected function include_configuration() {
        $content = @file_get_contents(static::get_config_file_path());
        if ($content === false) {
            return parent::include_configuration(); // Let the parent report the problem.
        }
        $hash = sha1($content);
        if (self::$mpcconfiguration === null || self::$mpcconfiguration[0] !== $hash) {
            self::$mpcconfiguration = [$hash, parent::include_configuration()];
        }
        return self::$mpcconfiguration[1];
    }

    /**
     * Same as the parent, with the definitions read from disk once per request.
     *
     * Reached as $instance->update_definitions() from cache_factory::create_definition().
     *
     * @param bool $coreonly
     */
    public static function update_definitions($coreonly = false) {
        $key = $coreonly ? 'core' : 'all';
        if (!isset(self::$mpcdefinitions[$key])) {
            self::$mpcdefinitions[$key] = static::locate_definitions($coreonly);
        }
        $factory = cache_factory::instance();
        $factory->updating_started();
        $config = $factory->create_config_instance(true);
        // write_definitions_to_cache() is private to cache_config_writer; run it in that scope.
        $write = Closure::bind(function (array $definitions): void {
            $this->write_definitions_to_cache($definitions);
        }, $config, cache_config_writer::class);
        $write(self::$mpcdefinitions[$key]);
        $factory->updating_finished();
    }
}
