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
 * SQLite DDL generator, shipped by moodle-plugin-check with the sqlite3 PDO driver.
 *
 * Declared column types carry the full XMLDB size (INTEGER(10), NUMERIC(10,5),
 * VARCHAR(255)) because SQLite stores them verbatim; the driver parses them back,
 * which makes check_database_schema() exact although SQLite itself ignores sizes.
 *
 * SQLite's ALTER TABLE can add, drop and rename columns but cannot change one, so
 * type, nullability and default changes rebuild the table (the procedure from
 * https://www.sqlite.org/lang_altertable.html#otheralter), reading the current
 * definition from the database because upgrade code passes partial xmldb_tables.
 *
 * @package    core_ddl
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

require_once($CFG->libdir . '/ddl/sql_generator.php');

/**
 * SQLite 3 specific SQL code generator.
 */
class sqlite_sql_generator extends sql_generator {

    /** @var string NOT NULL char columns without default get '' (as MySQL and PostgreSQL). */
    public $default_for_char = '';

    /** @var bool The sequence column declares the primary key inline, see $sequence_name. */
    public $primary_keys = false;

    /** @var bool */
    public $sequence_extra_code = false;

    /**
     * @var string The rowid alias. AUTOINCREMENT stops SQLite reusing the ids of deleted
     *             rows, which Moodle (like PostgreSQL sequences) never does either.
     */
    public $sequence_name = 'INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT';

    /** @var bool The sequence definition above is the complete column definition. */
    public $sequence_only = true;

    /** @var bool SQLite has no table comments. */
    public $add_table_comments = false;

    /** @var string|null No ALTER INDEX/CONSTRAINT ... RENAME; see getRenameIndexSQL(). */
    public $rename_index_sql = null;

    /** @var string|null */
    public $rename_key_sql = null;

    /** @var string Suffix of the scratch table used while rebuilding. */
    const REBUILD_SUFFIX = '_mpc_rebuild';

    public function getResetSequenceSQL($table) {
        $tablename = $table instanceof xmldb_table ? $table->getName() : $table;
        $prefixed = $this->prefix . $tablename;
        $sequence = $this->sequence_table($this->temptables->is_temptable($tablename));
        // The next id is seq + 1; PostgreSQL restarts at MAX(id) + 1.
        $value = (int) $this->mdb->get_field_sql('SELECT MAX(id) FROM {' . $tablename . '}');
        return [
            "DELETE FROM $sequence WHERE name = '$prefixed'",
            "INSERT INTO $sequence (name, seq) VALUES ('$prefixed', $value)",
        ];
    }

    public function getCreateTempTableSQL($xmldb_table) {
        $this->temptables->add_temptable($xmldb_table->getName());
        $sqlarr = $this->getCreateTableSQL($xmldb_table);
        // Indexes follow their table into the TEMP schema by themselves.
        return preg_replace('/^CREATE TABLE\b/', 'CREATE TEMPORARY TABLE', $sqlarr);
    }

    public function getTypeSQL($xmldb_type, $xmldb_length = null, $xmldb_decimals = null) {
        switch ($xmldb_type) {
            case XMLDB_TYPE_INTEGER:
                return 'INTEGER(' . (empty($xmldb_length) ? 10 : (int) $xmldb_length) . ')';
            case XMLDB_TYPE_NUMBER:
                return 'NUMERIC' . $this->size_clause($xmldb_length, $xmldb_decimals);
            case XMLDB_TYPE_FLOAT:
                return 'REAL' . $this->size_clause($xmldb_length, $xmldb_decimals);
            case XMLDB_TYPE_CHAR:
                return 'VARCHAR(' . (empty($xmldb_length) ? 255 : (int) $xmldb_length) . ')';
            case XMLDB_TYPE_BINARY:
                return 'BLOB';
            case XMLDB_TYPE_DATETIME:
                return 'DATETIME';
            case XMLDB_TYPE_TEXT:
            default:
                return 'TEXT';
        }
    }

    /**
     * "(length,decimals)" or "(length)" or nothing.
     */
    protected function size_clause($length, $decimals): string {
        if (empty($length)) {
            return '';
        }
        return '(' . (int) $length . (empty($decimals) ? ',0' : ',' . (int) $decimals) . ')';
    }

    public function getCommentSQL($xmldb_table) {
        return [];
    }

    /**
     * ADD COLUMN cannot add a NOT NULL column without a default, nor a sequence;
     * rebuild the table for those.
     */
    public function getAddFieldSQL($xmldb_table, $xmldb_field, $skip_type_clause = null, $skip_default_clause = null,
            $skip_notnull_clause = null) {
        if ($xmldb_field->getSequence() || ($xmldb_field->getNotNull() && $this->getDefaultValue($xmldb_field) === null)) {
            return $this->getRebuildTableSQL($xmldb_table, null, $xmldb_field);
        }
        return parent::getAddFieldSQL($xmldb_table, $xmldb_field, $skip_type_clause, $skip_default_clause,
            $skip_notnull_clause);
    }

    public function getAlterFieldSQL($xmldb_table, $xmldb_field, $skip_type_clause = null, $skip_default_clause = null,
            $skip_notnull_clause = null) {
        return $this->getRebuildTableSQL($xmldb_table, $xmldb_field);
    }

    public function getCreateDefaultSQL($xmldb_table, $xmldb_field) {
        return $this->getRebuildTableSQL($xmldb_table, $xmldb_field);
    }

    public function getDropDefaultSQL($xmldb_table, $xmldb_field) {
        return $this->getRebuildTableSQL($xmldb_table, $xmldb_field);
    }

    /**
     * SQLite cannot rename an index: drop it and create it again under the new name.
     */
    public function getRenameIndexSQL($xmldb_table, $xmldb_index, $newname) {
        $dbindexname = $this->mdb->get_manager()->find_index_name($xmldb_table, $xmldb_index);
        if (!$dbindexname) {
            return [];
        }
        $create = 'CREATE' . ($xmldb_index->getUnique() ? ' UNIQUE' : '') . ' INDEX ' . $this->getEncQuoted($newname) .
            ' ON ' . $this->getTableName($xmldb_table) .
            ' (' . implode(', ', $this->getEncQuoted($xmldb_index->getFields())) . ')';
        return ['DROP INDEX ' . $this->getEncQuoted($dbindexname), $create];
    }

    /**
     * Index names share one namespace per schema in SQLite.
     */
    public function isNameInUse($object_name, $type, $table_name) {
        return $this->mdb->schema_object_exists($object_name);
    }

    /**
     * Statements that recreate a table with one column changed or added, keeping its
     * data, indexes and sequence position.
     *
     * @param xmldb_table $xmldb_table only its name is used; the rest comes from the database
     * @param xmldb_field|null $changed new definition of an existing column
     * @param xmldb_field|null $added column to append
     * @return string[]
     */
    protected function getRebuildTableSQL(xmldb_table $xmldb_table, ?xmldb_field $changed = null,
            ?xmldb_field $added = null): array {
        $definition = $this->mdb->get_table_definition($xmldb_table->getName());
        if ($definition === null) {
            throw new ddl_table_missing_exception($xmldb_table->getName());
        }
        $table = $this->prefix . $xmldb_table->getName();
        $scratch = $table . self::REBUILD_SUFFIX;
        $temporary = $definition['temporary'];

        $columnsql = [];
        $targets = [];
        $sources = [];
        $primarykey = [];
        foreach ($definition['columns'] as $column) {
            if ($column['pk']) {
                $primarykey[(int) $column['pk']] = $this->getEncQuoted($column['name']);
            }
        }
        $rowid = count($primarykey) === 1 && $this->is_rowid_column($definition['columns']);

        foreach ($definition['columns'] as $column) {
            $name = strtolower($column['name']);
            $quoted = $this->getEncQuoted($name);
            if ($changed && $name === strtolower($changed->getName())) {
                $columnsql[] = $this->getFieldSQL($xmldb_table, $changed);
                $default = $this->getDefaultValue($changed);
                // Existing NULLs would violate a new NOT NULL; give them the default instead.
                $sources[] = ($changed->getNotNull() && $default !== null) ? "COALESCE($quoted, $default)" : $quoted;
            } else if ($rowid && $column['pk']) {
                $columnsql[] = "$quoted INTEGER NOT NULL PRIMARY KEY" . ($definition['autoincrement'] ? ' AUTOINCREMENT' : '');
                $sources[] = $quoted;
            } else {
                $columnsql[] = $quoted . ($column['type'] !== '' ? ' ' . $column['type'] : '') .
                    ($column['notnull'] ? ' NOT NULL' : '') .
                    ($column['dflt_value'] !== null ? ' DEFAULT ' . $column['dflt_value'] : '');
                $sources[] = $quoted;
            }
            $targets[] = $quoted;
        }
        if ($added) {
            $columnsql[] = $this->getFieldSQL($xmldb_table, $added);
        }
        if (!$rowid && $primarykey) {
            ksort($primarykey);
            $columnsql[] = 'PRIMARY KEY (' . implode(', ', $primarykey) . ')';
        }

        $sequence = $this->sequence_table($temporary);
        $sql = [];
        $sql[] = 'CREATE ' . ($temporary ? 'TEMPORARY ' : '') . "TABLE $scratch (\n    " .
            implode(",\n    ", $columnsql) . "\n)";
        if ($definition['autoincrement']) {
            // Carry the sequence over so ids of deleted rows are not handed out again.
            $sql[] = "INSERT INTO $sequence (name, seq) SELECT '$scratch', seq FROM $sequence WHERE name = '$table'";
        }
        $sql[] = "INSERT INTO $scratch (" . implode(', ', $targets) . ') SELECT ' . implode(', ', $sources) . " FROM $table";
        $sql[] = "DROP TABLE $table";
        $sql[] = "ALTER TABLE $scratch RENAME TO $table";
        return array_merge($sql, $definition['indexes']);
    }

    /**
     * Whether the table's single primary key column is SQLite's rowid alias.
     */
    protected function is_rowid_column(array $columns): bool {
        foreach ($columns as $column) {
            if ($column['pk']) {
                return strtoupper(trim($column['type'])) === 'INTEGER';
            }
        }
        return false;
    }

    /**
     * sqlite_sequence exists once per schema; an unqualified name resolves to the TEMP
     * one as soon as a temporary table with AUTOINCREMENT exists.
     */
    protected function sequence_table(bool $temporary): string {
        return $temporary ? 'temp.sqlite_sequence' : 'main.sqlite_sequence';
    }

    /**
     * Escapes a string literal: SQLite knows no backslash escapes, only doubled quotes.
     */
    public function addslashes($s) {
        return str_replace("'", "''", $s);
    }

    /**
     * SQLite keywords (https://www.sqlite.org/lang_keywords.html), quoted when used as names.
     */
    public static function getReservedWords() {
        return [
            'abort', 'action', 'add', 'after', 'all', 'alter', 'always', 'analyze', 'and', 'as', 'asc', 'attach',
            'autoincrement', 'before', 'begin', 'between', 'by', 'cascade', 'case', 'cast', 'check', 'collate', 'column',
            'commit', 'conflict', 'constraint', 'create', 'cross', 'current', 'current_date', 'current_time',
            'current_timestamp', 'database', 'default', 'deferrable', 'deferred', 'delete', 'desc', 'detach',
            'distinct', 'do', 'drop', 'each', 'else', 'end', 'escape', 'except', 'exclude', 'exclusive', 'exists',
            'explain', 'fail', 'filter', 'first', 'following', 'for', 'foreign', 'from', 'full', 'generated', 'glob',
            'group', 'groups', 'having', 'if', 'ignore', 'immediate', 'in', 'index', 'indexed', 'initially', 'inner',
            'insert', 'instead', 'intersect', 'into', 'is', 'isnull', 'join', 'key', 'last', 'left', 'like', 'limit',
            'match', 'materialized', 'natural', 'no', 'not', 'nothing', 'notnull', 'null', 'nulls', 'of', 'offset', 'on',
            'or', 'order', 'others', 'outer', 'over', 'partition', 'plan', 'pragma', 'preceding', 'primary', 'query',
            'raise', 'range', 'recursive', 'references', 'regexp', 'reindex', 'release', 'rename', 'replace', 'restrict',
            'returning', 'right', 'rollback', 'row', 'rows', 'savepoint', 'select', 'set', 'table', 'temp', 'temporary',
            'then', 'ties', 'to', 'transaction', 'trigger', 'unbounded', 'union', 'unique', 'update', 'using', 'vacuum',
            'values', 'view', 'virtual', 'when', 'where', 'window', 'with', 'without',
        ];
    }
}
