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
 * Recordset for the SQLite PDO driver (shipped by moodle-plugin-check).
 *
 * @package    core_dml
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

require_once(__DIR__ . '/moodle_recordset.php');

/**
 * A recordset over rows that were fetched eagerly.
 *
 * SQLite refuses DROP TABLE (and the table rebuilds our DDL generator emits) with
 * "database table is locked" while any statement on the same connection is still
 * stepping, and Moodle often keeps a recordset open while it changes the schema or
 * writes. Fetching everything up front and closing the statement at once removes
 * that whole class of failures; the sites we provision are small, so the memory
 * cost is irrelevant.
 */
class sqlite3_pdo_moodle_recordset extends moodle_recordset {
    /** @var array[] rows as associative arrays with lower-case keys */
    protected $rows;

    /** @var int index of the current row */
    protected $position = 0;

    /**
     * @param array[] $rows rows fetched with PDO::FETCH_ASSOC
     */
    public function __construct(array $rows) {
        $this->rows = $rows;
    }

    public function current(): stdClass {
        return (object) $this->rows[$this->position];
    }

    #[\ReturnTypeWillChange]
    public function key() {
        if (!$this->valid()) {
            return false;
        }
        // Moodle keys recordsets by their first column.
        $row = $this->rows[$this->position];
        return reset($row);
    }

    public function next(): void {
        $this->position++;
    }

    public function valid(): bool {
        return $this->rows !== null && $this->position < count($this->rows);
    }

    public function close() {
        $this->rows = null;
        $this->position = 0;
    }
}
