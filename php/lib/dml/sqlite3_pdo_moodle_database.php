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
 * SQLite 3 database driver over PDO, shipped by moodle-plugin-check.
 *
 * Moodle dropped its experimental SQLite driver; this one is written against the
 * DML API of Moodle 4.1 to 5.2 so that a throw-away site can be installed without
 * a database server (for example inside PHP compiled to WebAssembly).
 *
 * Use with: $CFG->dbtype = 'sqlite3'; $CFG->dblibrary = 'pdo';
 * $CFG->dbname = '/absolute/path/to/site.sqlite'.
 *
 * Semantics follow the PostgreSQL driver wherever a choice exists: '=' and LIKE
 * are case-sensitive, NULLs sort first ascending, regular expressions are
 * supported, temporary tables live in SQLite's TEMP schema.
 *
 * @package    core_dml
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

defined('MOODLE_INTERNAL') || die();

require_once(__DIR__ . '/pdo_moodle_database.php');
require_once(__DIR__ . '/moodle_temptables.php');
require_once(__DIR__ . '/sqlite3_pdo_moodle_recordset.php');

/**
 * SQLite 3 PDO driver.
 */
class sqlite3_pdo_moodle_database extends pdo_moodle_database {

    /**
     * Oldest SQLite we accept: 3.35 has ALTER TABLE DROP COLUMN (3.35), RENAME COLUMN
     * (3.25), window functions (3.25), NULLS FIRST/LAST (3.30) and UPDATE ... FROM (3.33).
     */
    const MIN_SQLITE_VERSION = '3.35.0';

    /** First SQLite with ORDER BY inside aggregate functions (needed by sql_group_concat()). */
    const AGGREGATE_ORDER_BY_VERSION = '3.44.0';

    /** @var string|null SQLite library version, read once per connection */
    protected $sqliteversion = null;

    public function driver_installed() {
        if (!extension_loaded('pdo_sqlite')) {
            return 'The PHP extension pdo_sqlite is required for the sqlite3 database driver.';
        }
        return true;
    }

    public function get_dbfamily() {
        return 'sqlite';
    }

    protected function get_dbtype() {
        return 'sqlite3';
    }

    /**
     * Moodle no longer ships the 'pdosqlite3' install strings, so do not look them up.
     */
    public function get_name() {
        return 'SQLite 3 (PDO)';
    }

    public function get_configuration_help() {
        return 'SQLite 3 through PDO. $CFG->dbname is the path of the database file.';
    }

    /**
     * Creates an empty database file (the installer calls this when the database is missing).
     */
    public function create_database($dbhost, $dbuser, $dbpass, $dbname, ?array $dboptions = null) {
        $this->store_settings($dbhost, $dbuser, $dbpass, $dbname, $this->prefix, $dboptions);
        $file = $this->get_dbfilepath();
        if ($file === ':memory:') {
            return true;
        }
        $dir = dirname($file);
        if (!is_dir($dir) && !@mkdir($dir, 0777, true)) {
            return false;
        }
        return touch($file);
    }

    /**
     * Path of the database file: $CFG->dboptions['file'] if set, else $CFG->dbname.
     * A bare name (no directory) is placed in $CFG->dataroot so that a plain
     * "moodle" still gives a usable site.
     */
    public function get_dbfilepath(): string {
        global $CFG;
        $file = !empty($this->dboptions['file']) ? $this->dboptions['file'] : (string) $this->dbname;
        if ($file === ':memory:' || strpbrk($file, '/\\') !== false) {
            return $file;
        }
        return rtrim($CFG->dataroot, '/\\') . '/' . $file . '.sqlite';
    }

    protected function get_dsn() {
        return 'sqlite:' . $this->get_dbfilepath();
    }

    protected function get_pdooptions() {
        return [
            // Every other Moodle driver returns strings; PHP >= 8.1 would return ints and floats.
            PDO::ATTR_STRINGIFY_FETCHES => true,
            // Seconds to wait for a lock held by another process (cron next to a web request).
            PDO::ATTR_TIMEOUT => (int) ($this->dboptions['busytimeout'] ?? 60),
        ];
    }

    /**
     * Connection set-up: version check, pragmas, SQL functions SQLite lacks.
     */
    protected function configure_dbconnection() {
        $this->sqliteversion = $this->pdb->query('SELECT sqlite_version()')->fetchColumn();
        if (version_compare($this->sqliteversion, self::MIN_SQLITE_VERSION, '<')) {
            throw new dml_connection_exception('SQLite ' . self::MIN_SQLITE_VERSION . ' or later is required, found ' .
                $this->sqliteversion);
        }

        // Provisioned sites are disposable, so trade durability for speed (the installer
        // runs ~100k statements); both can be overridden through $CFG->dboptions.
        $synchronous = $this->dboptions['synchronous'] ?? 'OFF';
        $journalmode = $this->dboptions['journalmode'] ?? 'MEMORY';
        $this->pdb->exec('PRAGMA synchronous = ' . preg_replace('/[^A-Za-z0-9]/', '', $synchronous));
        $this->pdb->exec('PRAGMA journal_mode = ' . preg_replace('/[^A-Za-z0-9]/', '', $journalmode));
        // One PHP process owns the database file at a time. In NORMAL mode SQLite re-checks for a
        // hot journal (an access() call) and re-validates its page cache at every transaction:
        // ~120,000 of each in a Moodle install. EXCLUSIVE keeps the lock, and the cache, between
        // transactions; the cache is sized to hold a freshly installed site (~8 MB).
        $lockingmode = $this->dboptions['lockingmode'] ?? 'EXCLUSIVE';
        $this->pdb->exec('PRAGMA locking_mode = ' . preg_replace('/[^A-Za-z0-9]/', '', $lockingmode));
        $this->pdb->exec('PRAGMA cache_size = ' . (int) ($this->dboptions['cachesize'] ?? -32768));
        $this->pdb->exec('PRAGMA foreign_keys = OFF');
        $this->pdb->exec('PRAGMA encoding = "UTF-8"');

        // PostgreSQL semantics: LIKE is case-sensitive; sql_like() asks for insensitivity
        // explicitly through LOWER(). The pragma is deprecated, so verify it took effect.
        $this->pdb->exec('PRAGMA case_sensitive_like = ON');
        if ($this->pdb->query("SELECT 'a' LIKE 'A'")->fetchColumn()) {
            $this->create_function('like', [self::class, 'sql_function_like'], -1);
        }

        // SQLite's LOWER()/UPPER() only fold ASCII; Moodle compares names in any script.
        $this->create_function('lower', fn($s) => $s === null ? null : mb_strtolower((string) $s, 'UTF-8'), 1);
        $this->create_function('upper', fn($s) => $s === null ? null : mb_strtoupper((string) $s, 'UTF-8'), 1);
        // GREATEST()/LEAST() exist in PostgreSQL, MySQL and MariaDB, not in SQLite. As PostgreSQL:
        // NULL arguments are ignored, NULL only when all are NULL.
        $this->create_function('greatest', [self::class, 'sql_function_greatest'], -1);
        $this->create_function('least', [self::class, 'sql_function_least'], -1);
        // The REGEXP operator calls regexp(pattern, subject); SQLite ships no implementation.
        $this->create_function('regexp', [self::class, 'sql_function_regexp'], 2);
        // Math functions are a compile-time option of SQLite (absent in some builds).
        try {
            $this->pdb->query('SELECT ceil(1.5), floor(1.5)')->fetchAll();
        } catch (PDOException $e) {
            $this->create_function('ceil', fn($x) => $x === null ? null : ceil((float) $x), 1);
            $this->create_function('floor', fn($x) => $x === null ? null : floor((float) $x), 1);
        }

        $this->temptables = new moodle_temptables($this);
    }

    /**
     * Registers a deterministic PHP function in SQL (PHP 8.4 renamed the PDO method).
     */
    protected function create_function(string $name, callable $callback, int $args): void {
        $flags = defined('PDO::SQLITE_DETERMINISTIC') ? PDO::SQLITE_DETERMINISTIC : 0;
        if (method_exists($this->pdb, 'createFunction')) {
            $this->pdb->createFunction($name, $callback, $args, $flags);
        } else {
            $this->pdb->sqliteCreateFunction($name, $callback, $args, $flags);
        }
    }

    /**
     * SQL REGEXP: POSIX-style patterns as Moodle writes them for MySQL/PostgreSQL run fine
     * under PCRE, including the [[:<:]] / [[:>:]] word boundaries. A leading \x01 is the
     * case-insensitivity marker added by sql_regex(). \x01 is also the delimiter, so no
     * character of the pattern needs escaping.
     */
    public static function sql_function_regexp($pattern, $subject) {
        if ($pattern === null || $subject === null) {
            return null;
        }
        $pattern = (string) $pattern;
        $flags = 's';
        if ($pattern !== '' && $pattern[0] === "\x01") {
            $pattern = substr($pattern, 1);
            $flags .= 'i';
        }
        $result = @preg_match("\x01" . $pattern . "\x01u" . $flags, (string) $subject);
        if ($result === false) {
            // Not valid UTF-8 (or not a valid pattern in UTF mode): retry byte-wise.
            $result = @preg_match("\x01" . $pattern . "\x01" . $flags, (string) $subject);
        }
        return $result === 1 ? 1 : 0;
    }

    /**
     * SQL GREATEST(a, b, ...): the largest non-NULL argument (numbers compare as numbers).
     */
    public static function sql_function_greatest(...$args) {
        $args = array_values(array_filter($args, fn($a) => $a !== null));
        return $args ? max(...$args) : null;
    }

    /**
     * SQL LEAST(a, b, ...): the smallest non-NULL argument.
     */
    public static function sql_function_least(...$args) {
        $args = array_values(array_filter($args, fn($a) => $a !== null));
        return $args ? min(...$args) : null;
    }

    /**
     * Case-sensitive LIKE for SQLite builds without the case_sensitive_like pragma.
     * Arguments follow SQLite's like(pattern, subject[, escape]).
     */
    public static function sql_function_like($pattern, $subject, $escape = null) {
        if ($pattern === null || $subject === null) {
            return null;
        }
        $regex = '';
        $chars = preg_split('//u', (string) $pattern, -1, PREG_SPLIT_NO_EMPTY);
        for ($i = 0, $n = count($chars); $i < $n; $i++) {
            $c = $chars[$i];
            if ($escape !== null && $c === $escape && $i + 1 < $n) {
                $regex .= preg_quote($chars[++$i], '/');
            } else if ($c === '%') {
                $regex .= '.*';
            } else if ($c === '_') {
                $regex .= '.';
            } else {
                $regex .= preg_quote($c, '/');
            }
        }
        return preg_match('/^' . $regex . '$/us', (string) $subject) ? 1 : 0;
    }

    public function dispose() {
        parent::dispose();
        $this->pdb = null;
    }

    public function get_server_info() {
        $version = $this->sqliteversion ?? $this->pdb->query('SELECT sqlite_version()')->fetchColumn();
        return ['description' => 'SQLite ' . $version, 'version' => $version];
    }

    /**
     * Only '?' placeholders: Moodle converts named parameters for us, and one style
     * keeps binding in execute_prepared() simple.
     */
    protected function allowed_param_types() {
        return SQL_PARAMS_QM;
    }

    // Introspection.

    public function get_tables($usecache = true) {
        if ($usecache && $this->tables !== null) {
            return $this->tables;
        }
        $sql = "SELECT name FROM sqlite_master WHERE type = 'table'
                UNION ALL
                SELECT name FROM sqlite_temp_master WHERE type = 'table'";
        $this->tables = [];
        foreach ($this->aux_query($sql) as $row) {
            $name = strtolower($row['name']);
            if (strpos($name, 'sqlite_') === 0) {
                continue;
            }
            if ($this->prefix !== '') {
                if (strpos($name, $this->prefix) !== 0) {
                    continue;
                }
                $name = substr($name, strlen($this->prefix));
            }
            $this->tables[$name] = $name;
        }
        ksort($this->tables);
        return $this->tables;
    }

    /**
     * Indexes created with CREATE INDEX; the automatic ones behind PRIMARY KEY
     * constraints are left out, like the other drivers leave out the primary key.
     */
    public function get_indexes($table) {
        $indexes = [];
        $quoted = $this->quote_identifier($this->prefix . $table);
        foreach ($this->aux_query("PRAGMA index_list($quoted)") as $index) {
            if ($index['origin'] === 'pk' || strpos($index['name'], 'sqlite_autoindex_') === 0) {
                continue;
            }
            $columns = [];
            foreach ($this->aux_query('PRAGMA index_info(' . $this->quote_identifier($index['name']) . ')') as $column) {
                $columns[] = strtolower((string) $column['name']);
            }
            $indexes[strtolower($index['name'])] = ['unique' => (bool) $index['unique'], 'columns' => $columns];
        }
        return $indexes;
    }

    /**
     * Column metadata parsed from the declared types our generator writes
     * (INTEGER(n), NUMERIC(p,s), REAL, VARCHAR(n), TEXT, BLOB), so that lengths,
     * scales and defaults round-trip exactly for check_database_schema().
     */
    protected function fetch_columns(string $table): array {
        $structure = [];
        $rows = $this->aux_query('PRAGMA table_info(' . $this->quote_identifier($this->prefix . $table) . ')');
        $pkcount = 0;
        foreach ($rows as $row) {
            $pkcount += $row['pk'] ? 1 : 0;
        }
        foreach ($rows as $row) {
            $info = $this->parse_declared_type((string) $row['type']);
            $info->name = strtolower($row['name']);
            $info->not_null = (bool) $row['notnull'];
            $info->primary_key = (bool) $row['pk'];
            $info->auto_increment = false;
            $info->unique = null;
            [$info->has_default, $info->default_value] = $this->parse_default($row['dflt_value']);

            // A lone INTEGER PRIMARY KEY is SQLite's rowid: it is the sequence.
            if ($info->primary_key && $pkcount === 1 && strtoupper(trim($row['type'])) === 'INTEGER') {
                $info->meta_type = 'R';
                $info->auto_increment = true;
                $info->unique = true;
                $info->not_null = true;
            }
            $structure[$info->name] = new database_column_info($info);
        }
        return $structure;
    }

    /**
     * Maps a declared column type to Moodle's meta type and sizes.
     *
     * Types we did not write ourselves fall back to SQLite's affinity rules.
     */
    protected function parse_declared_type(string $declared): stdClass {
        $info = new stdClass();
        $info->type = strtolower(trim($declared));
        $info->max_length = null;
        $info->scale = null;
        $info->binary = false;
        $info->unsigned = null;

        $length = null;
        $scale = null;
        $base = strtoupper(trim($declared));
        if (preg_match('/^(.*?)\s*\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\)$/', $base, $m)) {
            $base = trim($m[1]);
            $length = (int) $m[2];
            $scale = isset($m[3]) ? (int) $m[3] : null;
        }

        if (strpos($base, 'INT') !== false) {
            $info->meta_type = 'I';
            $info->unsigned = false;
            // A bare INTEGER is a 64-bit integer, 18 digits in Moodle's terms (as PostgreSQL BIGINT).
            $info->max_length = $length ?? 18;
        } else if (preg_match('/CHAR|CLOB|TEXT/', $base)) {
            if ($length !== null) {
                $info->meta_type = 'C';
                $info->max_length = $length;
            } else {
                $info->meta_type = 'X';
                $info->max_length = -1;
            }
        } else if ($base === '' || strpos($base, 'BLOB') !== false) {
            $info->meta_type = 'B';
            $info->max_length = -1;
            $info->binary = true;
        } else {
            // NUMERIC, DECIMAL, REAL, FLOAT, DOUBLE: all numbers for Moodle.
            $info->meta_type = 'N';
            $info->max_length = $length;
            $info->scale = $scale ?? ($length !== null ? 0 : null);
        }
        return $info;
    }

    /**
     * Turns PRAGMA table_info's dflt_value (an SQL literal) back into a value.
     *
     * @return array [has_default, default_value]
     */
    protected function parse_default($literal): array {
        if ($literal === null) {
            return [false, null];
        }
        $literal = trim((string) $literal);
        while (strlen($literal) > 1 && $literal[0] === '(' && substr($literal, -1) === ')') {
            $literal = trim(substr($literal, 1, -1));
        }
        if (strcasecmp($literal, 'NULL') === 0) {
            return [false, null];
        }
        if (strlen($literal) > 1 && $literal[0] === "'" && substr($literal, -1) === "'") {
            return [true, str_replace("''", "'", substr($literal, 1, -1))];
        }
        return [true, $literal];
    }

    /**
     * Raw table definition for the DDL generator, which has to rebuild tables
     * because SQLite's ALTER TABLE cannot change a column.
     *
     * @param string $table table name without prefix
     * @return array|null ['temporary' => bool, 'autoincrement' => bool, 'columns' => PRAGMA table_info rows,
     *                    'indexes' => CREATE INDEX statements] or null when the table does not exist
     */
    public function get_table_definition(string $table): ?array {
        $name = $this->prefix . $table;
        foreach (['main' => false, 'temp' => true] as $schema => $temporary) {
            $master = $temporary ? 'sqlite_temp_master' : 'sqlite_master';
            $create = $this->aux_query("SELECT sql FROM $master WHERE type = 'table' AND name = ?", [$name]);
            if (!$create) {
                continue;
            }
            $indexes = $this->aux_query("SELECT sql FROM $master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
                [$name]);
            return [
                'temporary' => $temporary,
                'autoincrement' => (bool) preg_match('/\bAUTOINCREMENT\b/i', $create[0]['sql']),
                'columns' => $this->aux_query("PRAGMA $schema.table_info(" . $this->quote_identifier($name) . ')'),
                'indexes' => array_column($indexes, 'sql'),
            ];
        }
        return null;
    }

    /**
     * Whether a table or index of this name exists (index names are per schema in SQLite).
     */
    public function schema_object_exists(string $name): bool {
        $sql = "SELECT name FROM sqlite_master WHERE LOWER(name) = ?
                UNION ALL
                SELECT name FROM sqlite_temp_master WHERE LOWER(name) = ?";
        return (bool) $this->aux_query($sql, [strtolower($name), strtolower($name)]);
    }

    /**
     * Runs a metadata query through query_start()/query_end(), so errors raise dml_read_exception.
     */
    protected function aux_query(string $sql, array $params = []): array {
        $this->query_start($sql, $params, SQL_QUERY_AUX_READONLY);
        try {
            $sth = $this->pdb->prepare($sql);
            $sth->execute($params);
            $rows = $sth->fetchAll(PDO::FETCH_ASSOC);
            $sth->closeCursor();
            $result = true;
        } catch (PDOException $ex) {
            $this->lastError = $ex->getMessage();
            $rows = [];
            $result = false;
        }
        $this->query_end($result);
        return $rows;
    }

    protected function quote_identifier(string $name): string {
        return '"' . str_replace('"', '""', $name) . '"';
    }

    protected function normalise_value($column, $value) {
        $this->detect_objects($value);
        if (is_bool($value)) {
            return (int) $value;
        }
        if ($value === '' && in_array($column->meta_type, ['I', 'F', 'N'], true)) {
            // Same as PostgreSQL: '' in a number column means 0 rather than a stored empty string.
            return 0;
        }
        return $value;
    }

    /**
     * get_tables() lists TEMP tables too, so its cache must also go when only temporary
     * tables changed (the parent keeps it in that case).
     */
    public function reset_caches($tablenames = null) {
        parent::reset_caches($tablenames);
        $this->tables = null;
    }

    // Statements.

    /**
     * DDL runs inside a savepoint so that a failed table rebuild (several statements)
     * leaves the schema as it was; SQLite DDL is transactional.
     */
    public function change_database_structure($sql, $tablenames = null) {
        $this->get_manager(); // Loads the DDL exception classes.
        $sqls = (array) $sql;
        $this->pdb->exec('SAVEPOINT moodle_ddl');
        try {
            foreach ($sqls as $statement) {
                $this->query_start($statement, null, SQL_QUERY_STRUCTURE);
                try {
                    $this->pdb->exec($statement);
                    $result = true;
                } catch (PDOException $ex) {
                    $this->lastError = $ex->getMessage();
                    $result = false;
                }
                $this->query_end($result);
            }
            $this->pdb->exec('RELEASE SAVEPOINT moodle_ddl');
        } catch (Exception $e) {
            $this->pdb->exec('ROLLBACK TO SAVEPOINT moodle_ddl');
            $this->pdb->exec('RELEASE SAVEPOINT moodle_ddl');
            $this->reset_caches($tablenames);
            throw $e;
        }
        $this->reset_caches($tablenames);
        return true;
    }

    /**
     * Prepares and runs one statement, binding PHP ints as integers so that comparisons
     * against expressions without column affinity behave as on other databases.
     *
     * @param array $lobkeys parameter keys to bind as BLOBs
     * @return PDOStatement|false
     */
    protected function execute_prepared(string $sql, array $params, int $type, array $lobkeys = []) {
        $this->query_start($sql, $params, $type);
        try {
            $sth = $this->pdb->prepare($sql);
            $position = 1;
            foreach ($params as $key => $value) {
                if (isset($lobkeys[$key]) && $value !== null) {
                    $pdotype = PDO::PARAM_LOB;
                } else if ($value === null) {
                    $pdotype = PDO::PARAM_NULL;
                } else if (is_int($value)) {
                    $pdotype = PDO::PARAM_INT;
                } else {
                    $pdotype = PDO::PARAM_STR;
                    $value = (string) $value;
                }
                $sth->bindValue($position++, $value, $pdotype);
            }
            $sth->execute();
            $result = $sth;
        } catch (PDOException $ex) {
            $this->lastError = $ex->getMessage();
            $result = false;
        }
        $this->query_end($result);
        return $result;
    }

    public function execute($sql, ?array $params = null) {
        [$sql, $params] = $this->fix_sql_params($sql, $params);
        if (preg_match('/;\s*\S/', $sql)) {
            // PDO would silently run only the first statement (mysqli refuses any ';' here).
            throw new coding_exception('moodle_database::execute() Multiple sql statements found or bound parameters ' .
                'not used properly in query!');
        }
        $sth = $this->execute_prepared($sql, array_values($params), SQL_QUERY_UPDATE);
        $sth->closeCursor();
        return true;
    }

    /**
     * SQLite wants a LIMIT before an OFFSET; -1 means no limit.
     */
    protected function add_limit(string $sql, $limitfrom, $limitnum): string {
        [$limitfrom, $limitnum] = $this->normalise_limit_from_num($limitfrom, $limitnum);
        if ($limitnum) {
            $sql .= " LIMIT $limitnum";
        }
        if ($limitfrom) {
            $sql .= ($limitnum ? '' : ' LIMIT -1') . " OFFSET $limitfrom";
        }
        return $sql;
    }

    /**
     * @return array[] all rows of a SELECT
     */
    protected function fetch_all_rows($sql, ?array $params, $limitfrom = 0, $limitnum = 0): array {
        [$sql, $params] = $this->fix_sql_params($sql, $params);
        $sql = $this->add_limit($sql, $limitfrom, $limitnum);
        $sth = $this->execute_prepared($sql, array_values($params), SQL_QUERY_SELECT);
        $rows = $sth->fetchAll(PDO::FETCH_ASSOC);
        $sth->closeCursor();
        return $rows;
    }

    public function get_recordset_sql($sql, ?array $params = null, $limitfrom = 0, $limitnum = 0) {
        return new sqlite3_pdo_moodle_recordset($this->fetch_all_rows($sql, $params, $limitfrom, $limitnum));
    }

    public function get_records_sql($sql, ?array $params = null, $limitfrom = 0, $limitnum = 0) {
        global $CFG;
        $records = [];
        foreach ($this->fetch_all_rows($sql, $params, $limitfrom, $limitnum) as $row) {
            $key = reset($row);
            if ($CFG->debugdeveloper && array_key_exists($key, $records)) {
                debugging("Did you remember to make the first column something unique in your call to get_records? " .
                    "Duplicate value '$key' found in column first column of '$sql'.", DEBUG_DEVELOPER);
            }
            $records[$key] = (object) $row;
        }
        return $records;
    }

    public function get_fieldset_sql($sql, ?array $params = null) {
        $values = [];
        foreach ($this->fetch_all_rows($sql, $params) as $row) {
            $values[] = reset($row);
        }
        return $values;
    }

    public function insert_record_raw($table, $params, $returnid = true, $bulk = false, $customsequence = false) {
        return $this->insert_row($table, (array) $params, $returnid, $customsequence, []);
    }

    /**
     * @param array $lobkeys column names holding binary data
     */
    protected function insert_row(string $table, array $params, bool $returnid, bool $customsequence, array $lobkeys) {
        if ($customsequence) {
            if (!isset($params['id'])) {
                throw new coding_exception('moodle_database::insert_record_raw() id field must be specified if custom ' .
                    'sequences used.');
            }
            $returnid = false;
        } else {
            unset($params['id']);
        }
        if (empty($params)) {
            throw new coding_exception('moodle_database::insert_record_raw() no fields found.');
        }
        $fields = implode(',', array_keys($params));
        $placeholders = implode(',', array_fill(0, count($params), '?'));
        $sql = $this->fix_table_names("INSERT INTO {{$table}} ($fields) VALUES ($placeholders)");
        $sth = $this->execute_prepared($sql, $params, SQL_QUERY_INSERT, $lobkeys);
        $sth->closeCursor();
        if (!$returnid) {
            return true;
        }
        return (int) $this->pdb->lastInsertId();
    }

    public function insert_record($table, $dataobject, $returnid = true, $bulk = false) {
        $columns = $this->get_columns($table);
        if (empty($columns)) {
            throw new dml_exception('ddltablenotexist', $table);
        }
        [$cleaned, $lobkeys] = $this->clean_for_columns((array) $dataobject, $columns, false);
        if (empty($cleaned)) {
            throw new coding_exception('moodle_database::insert_record() no fields found.');
        }
        return $this->insert_row($table, $cleaned, (bool) $returnid, false, $lobkeys);
    }

    public function import_record($table, $dataobject) {
        $columns = $this->get_columns($table);
        [$cleaned, $lobkeys] = $this->clean_for_columns((array) $dataobject, $columns, true);
        return $this->insert_row($table, $cleaned, false, true, $lobkeys);
    }

    /**
     * Keeps only existing columns, normalised; also returns which ones are binary.
     *
     * @return array [values by column, binary column names as keys]
     */
    protected function clean_for_columns(array $data, array $columns, bool $keepid): array {
        $cleaned = [];
        $lobkeys = [];
        foreach ($data as $field => $value) {
            if (($field === 'id' && !$keepid) || !isset($columns[$field])) {
                continue;
            }
            $column = $columns[$field];
            $cleaned[$field] = $this->normalise_value($column, $value);
            if ($column->meta_type === 'B') {
                $lobkeys[$field] = true;
            }
        }
        return [$cleaned, $lobkeys];
    }

    public function update_record_raw($table, $params, $bulk = false) {
        return $this->update_row($table, (array) $params, []);
    }

    protected function update_row(string $table, array $params, array $lobkeys): bool {
        if (!isset($params['id'])) {
            throw new coding_exception('moodle_database::update_record_raw() id field must be specified.');
        }
        $id = $params['id'];
        unset($params['id']);
        if (empty($params)) {
            throw new coding_exception('moodle_database::update_record_raw() no fields found.');
        }
        $sets = [];
        foreach (array_keys($params) as $field) {
            $sets[] = "$field = ?";
        }
        $params['id'] = $id;
        $sql = $this->fix_table_names("UPDATE {{$table}} SET " . implode(',', $sets) . ' WHERE id = ?');
        $sth = $this->execute_prepared($sql, $params, SQL_QUERY_UPDATE, $lobkeys);
        $sth->closeCursor();
        return true;
    }

    public function update_record($table, $dataobject, $bulk = false) {
        $columns = $this->get_columns($table);
        [$cleaned, $lobkeys] = $this->clean_for_columns((array) $dataobject, $columns, true);
        return $this->update_row($table, $cleaned, $lobkeys);
    }

    public function set_field_select($table, $newfield, $newvalue, $select, ?array $params = null) {
        if ($select) {
            $select = "WHERE $select";
        }
        [$select, $params] = $this->fix_sql_params($select, $params);
        $columns = $this->get_columns($table);
        if (isset($columns[$newfield])) {
            $newvalue = $this->normalise_value($columns[$newfield], $newvalue);
        }
        $lobkeys = [];
        if (is_null($newvalue)) {
            $set = "$newfield = NULL";
            $params = array_values($params);
        } else {
            $set = "$newfield = ?";
            $params = array_merge([$newvalue], array_values($params));
            if (isset($columns[$newfield]) && $columns[$newfield]->meta_type === 'B') {
                $lobkeys[0] = true;
            }
        }
        $sql = $this->fix_table_names("UPDATE {{$table}} SET $set $select");
        $sth = $this->execute_prepared($sql, $params, SQL_QUERY_UPDATE, $lobkeys);
        $sth->closeCursor();
        return true;
    }

    public function delete_records_select($table, $select, ?array $params = null) {
        $sql = "DELETE FROM {{$table}}" . ($select ? " WHERE $select" : '');
        return $this->execute($sql, $params);
    }

    // Transactions: the PDO parent passes an undefined $result to query_end().

    protected function begin_transaction() {
        $this->transaction_command('BEGIN', fn() => $this->pdb->beginTransaction());
    }

    protected function commit_transaction() {
        $this->transaction_command('COMMIT', fn() => $this->pdb->commit());
    }

    protected function rollback_transaction() {
        $this->transaction_command('ROLLBACK', fn() => $this->pdb->rollBack());
    }

    protected function transaction_command(string $label, callable $command): void {
        $this->query_start($label, null, SQL_QUERY_AUX);
        try {
            $result = $command();
        } catch (PDOException $ex) {
            $this->lastError = $ex->getMessage();
            $result = false;
        }
        $this->query_end($result);
    }

    // SQL dialect.

    public function sql_concat(...$arr) {
        if (empty($arr)) {
            return " '' ";
        }
        // The leading '' makes concatenation of numbers yield text, as in PostgreSQL.
        return " '' || " . implode(' || ', $arr) . ' ';
    }

    public function sql_concat_join($separator = "' '", $elements = []) {
        for ($n = count($elements) - 1; $n > 0; $n--) {
            array_splice($elements, $n, 0, $separator);
        }
        $s = implode(' || ', $elements);
        return $s === '' ? " '' " : " $s ";
    }

    /**
     * GROUP_CONCAT accepts ORDER BY only from SQLite 3.44; older libraries return
     * the values in scan order (documented gap).
     */
    public function sql_group_concat(string $field, string $separator = ', ', string $sort = ''): string {
        $separator = str_replace("'", "''", $separator);
        $order = '';
        if ($sort !== '' && version_compare($this->sqliteversion, self::AGGREGATE_ORDER_BY_VERSION, '>=')) {
            $order = " ORDER BY $sort";
        }
        return 'GROUP_CONCAT(' . $this->sql_cast_to_char($field) . ", '$separator'$order)";
    }

    public function sql_cast_to_char(string $field): string {
        return "CAST($field AS TEXT)";
    }

    public function sql_cast_char2int($fieldname, $text = false) {
        return " CAST($fieldname AS INTEGER) ";
    }

    public function sql_cast_char2real($fieldname, $text = false) {
        return " CAST($fieldname AS REAL) ";
    }

    /**
     * SQLite has no XOR operator.
     */
    public function sql_bitxor($int1, $int2) {
        return '(((' . $int1 . ') | (' . $int2 . ')) & ~((' . $int1 . ') & (' . $int2 . ')))';
    }

    public function sql_position($needle, $haystack) {
        return "INSTR(($haystack), ($needle))";
    }

    public function sql_like($fieldname, $param, $casesensitive = true, $accentsensitive = true, $notlike = false,
            $escapechar = '\\') {
        if (strpos($param, '%') !== false) {
            debugging('Potential SQL injection detected, sql_like() expects bound parameters (? or :named)');
        }
        $like = $notlike ? 'NOT LIKE' : 'LIKE';
        // Accent-insensitive matching is not available (as in PostgreSQL).
        if ($casesensitive) {
            return "$fieldname $like $param ESCAPE '$escapechar'";
        }
        return "LOWER($fieldname) $like LOWER($param) ESCAPE '$escapechar'";
    }

    public function sql_regex_supported() {
        return true;
    }

    /**
     * Returns the operator; callers append the pattern. For case-insensitive matching a
     * \x01 marker is glued onto that pattern (|| binds tighter than REGEXP), which
     * sql_function_regexp() turns into the i flag. The marker is built with CHAR(1)
     * because a literal "(?i)" would contain a "?" that Moodle counts as a placeholder.
     */
    public function sql_regex($positivematch = true, $casesensitive = false) {
        $operator = $positivematch ? 'REGEXP' : 'NOT REGEXP';
        return $casesensitive ? $operator : "$operator CHAR(1) ||";
    }

    /**
     * SQLite does not accept parenthesised SELECTs around INTERSECT.
     */
    public function sql_intersect($selects, $fields) {
        if (count($selects) <= 1) {
            return parent::sql_intersect($selects, $fields);
        }
        $parts = [];
        foreach ($selects as $select) {
            $parts[] = "SELECT $fields FROM ($select)";
        }
        return implode(' INTERSECT ', $parts);
    }

    public function replace_all_text_supported() {
        return true;
    }

    public function is_count_window_function_supported(): bool {
        return true;
    }
}
