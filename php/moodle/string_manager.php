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
 * Memoising string manager, shipped by moodle-plugin-check.
 *
 * The installer and upgrader run with caches disabled, so the standard manager
 * includes lang/en/moodle.php (and every other lang file) again for each string.
 * In php-wasm with OPcache that kept the memory of every include and died at the
 * heap limit; without it, it recompiles the same files thousands of times. Keeping
 * each component's strings in memory for the life of the request avoids both, and
 * saves time under native PHP as well.
 *
 * Enabled from config.php:
 *   $CFG->customstringmanager = 'mpc_string_manager';
 * and made loadable before Moodle's autoloader knows about it (see config.php.tpl).
 *
 * @package    core
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

/**
 * core_string_manager_standard with a per-request memo of load_component_strings().
 */
class mpc_string_manager extends core_string_manager_standard {

    /** @var array<string, array> strings by "lang/component/disablelocal" */
    protected $memo = [];

    public function load_component_strings($component, $lang, $disablecache = false, $disablelocal = false) {
        // Callers that disable the cache (tool_customlang) want the files as they are now.
        if ($disablecache) {
            return parent::load_component_strings($component, $lang, $disablecache, $disablelocal);
        }
        $key = $lang . '/' . $component . '/' . ($disablelocal ? 1 : 0);
        if (!isset($this->memo[$key])) {
            $this->memo[$key] = parent::load_component_strings($component, $lang, $disablecache, $disablelocal);
        }
        return $this->memo[$key];
    }

    public function reset_caches($phpunitreset = false) {
        $this->memo = [];
        parent::reset_caches($phpunitreset);
    }
}
