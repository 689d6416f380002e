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
 * Moodle's own PostgreSQL driver on PGlite, shipped by moodle-plugin-check.
 *
 * Everything is Moodle's pgsql_native_moodle_database: its SQL dialect, its DDL generator
 * (postgres_sql_generator), its recordsets and temporary tables. Only the transport differs: the
 * pg_* functions come from pglite_bridge.php, which hands each query to a PGlite instance (a real
 * PostgreSQL in WebAssembly) run by moodle-plugin-check beside PHP.
 *
 * Use with: $CFG->dbtype = 'pglite'; $CFG->dblibrary = 'native'.
 *
 * @package    core_dml
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

require_once(__DIR__ . '/pglite_bridge.php');
require_once(__DIR__ . '/pgsql_native_moodle_database.php');

/**
 * PostgreSQL driver whose connection is a PGlite session.
 */
class pglite_native_moodle_database extends pgsql_native_moodle_database {

    /** @var array<string, database_column_info[]> fetch_columns() per table, until the next DDL */
    protected $mpccolumns = [];

    /**
     * The bridge stands in for the pgsql extension.
     *
     * @return bool|string
     */
    public function driver_installed() {
        if (!function_exists('post_message_to_js')) {
            return 'The PGlite database needs the php-wasm runtime of moodle-plugin-check (post_message_to_js).';
        }
        return true;
    }

    /**
     * The columns of a table, read from pg_catalog once per PHP run until the schema changes.
     *
     * Moodle keeps them in the databasemeta cache, which is off while it installs or upgrades;
     * then every insert_record() and update_record() reads them again: about 1,300 catalog
     * queries for one plugin install, at ~1.8 ms each in PGlite. Only a DDL statement (which
     * resets the caches, see reset_caches()) changes them, so what Moodle reads is the same.
     *
     * @param string $table
     * @return database_column_info[]
     */
    protected function fetch_columns(string $table): array {
        if ($this->temptables->is_temptable($table)) {
            return parent::fetch_columns($table);
        }
        return $this->mpccolumns[$table] ??= parent::fetch_columns($table);
    }

    /**
     * Forgets the columns of the tables a DDL statement touched (all of them when unnamed).
     *
     * @param array|null $tablenames
     */
    public function reset_caches($tablenames = null) {
        $this->mpccolumns = [];
        parent::reset_caches($tablenames);
    }

    /**
     * Shown in Moodle's environment page and in the report.
     *
     * @return string
     */
    public function get_name() {
        return 'PostgreSQL (PGlite, in-process)';
    }
}
