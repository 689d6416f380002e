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
 * The pg_* functions Moodle's PostgreSQL driver calls, over PGlite, shipped by moodle-plugin-check.
 *
 * php-wasm has no pgsql extension. Each query and its parameters go to JavaScript with
 * post_message_to_js() (prefix "pg:", JSON); the runtime hands them to a PGlite instance (a real
 * PostgreSQL compiled to WebAssembly) and waits for its answer: rows as PostgreSQL's text output
 * (what libpq gives PHP), the column names and type OIDs, the affected row count, or the error.
 * Errors come back as data, never as exceptions, so a failed query returns false and
 * pg_last_error() says why, as with libpq.
 *
 * Only what a PHP program can observe of the pgsql extension is mimicked: the values, NULLs,
 * bytea in hex, booleans as 't'/'f', column order, the result pointer. Nothing else is reachable
 * through this bridge: the JavaScript side runs SQL on its own database and nothing more.
 *
 * @package    core_dml
 * @license    http://www.gnu.org/copyleft/gpl.html GNU GPL v3 or later
 */

if (!extension_loaded('pgsql') && !function_exists('pg_connect')) {

    define('PGSQL_CONNECT_FORCE_NEW', 2);
    define('PGSQL_CONNECT_ASYNC', 4);
    define('PGSQL_CONNECTION_OK', 0);
    define('PGSQL_CONNECTION_BAD', 1);
    define('PGSQL_ASSOC', 1);
    define('PGSQL_NUM', 2);
    define('PGSQL_BOTH', 3);
    define('PGSQL_EMPTY_QUERY', 0);
    define('PGSQL_COMMAND_OK', 1);
    define('PGSQL_TUPLES_OK', 2);
    define('PGSQL_BAD_RESPONSE', 5);
    define('PGSQL_FATAL_ERROR', 7);

    /**
     * One connection: the runtime's PGlite session for this PHP run.
     */
    final class mpc_pglite_connection {
        /** @var string message of the last failed call, libpq style */
        public $lasterror = '';
        /** @var bool */
        public $open = true;
        /** @var string */
        public $serverversion = '';
        /** @var array<int, string> type OID => name, filled from pg_type when needed */
        public static $types = [
            16 => 'bool', 17 => 'bytea', 18 => 'char', 19 => 'name', 20 => 'int8', 21 => 'int2',
            23 => 'int4', 24 => 'regproc', 25 => 'text', 26 => 'oid', 114 => 'json', 142 => 'xml',
            194 => 'pg_node_tree', 700 => 'float4', 701 => 'float8', 1000 => '_bool', 1005 => '_int2',
            1007 => '_int4', 1009 => '_text', 1016 => '_int8', 1042 => 'bpchar', 1043 => 'varchar',
            1082 => 'date', 1083 => 'time', 1114 => 'timestamp', 1184 => 'timestamptz',
            1186 => 'interval', 1266 => 'timetz', 1700 => 'numeric', 2205 => 'regclass',
            2950 => 'uuid', 3802 => 'jsonb',
        ];

        /**
         * Sends one request and returns the decoded answer (never throws).
         *
         * @param array $request
         * @return array
         */
        public function call(array $request): array {
            if (!$this->open) {
                return ['ok' => false, 'message' => 'connection is closed'];
            }
            $json = json_encode($request, JSON_UNESCAPED_UNICODE | JSON_UNESCAPED_SLASHES);
            if ($json === false) {
                return ['ok' => false, 'message' => 'could not encode the query: ' . json_last_error_msg()];
            }
            $answer = post_message_to_js('pg:' . $json);
            $decoded = is_string($answer) ? json_decode($answer, true) : null;
            if (!is_array($decoded)) {
                return ['ok' => false, 'message' => 'no answer from the database (PGlite)'];
            }
            return $decoded;
        }

        /**
         * libpq's text of a server error: severity, message, then DETAIL/HINT lines.
         *
         * @param array $answer
         * @return string
         */
        public static function error_text(array $answer): string {
            $text = ($answer['severity'] ?? 'ERROR') . ':  ' . ($answer['message'] ?? 'unknown error');
            if (!empty($answer['detail'])) {
                $text .= "\nDETAIL:  " . $answer['detail'];
            }
            if (!empty($answer['hint'])) {
                $text .= "\nHINT:  " . $answer['hint'];
            }
            return $text;
        }
    }

    /**
     * A query result: all rows, as PostgreSQL's text output, and a row pointer.
     */
    final class mpc_pglite_result {
        /** @var array<int, array<int, string|null>> */
        public $rows;
        /** @var array<int, array{0: string, 1: int}> name and type OID per column */
        public $fields;
        /** @var int */
        public $affected;
        /** @var int */
        public $pointer = 0;
        /** @var mpc_pglite_connection */
        public $connection;

        public function __construct(array $answer, mpc_pglite_connection $connection) {
            $this->rows = $answer['rows'] ?? [];
            $this->fields = $answer['fields'] ?? [];
            $this->affected = (int) ($answer['affected'] ?? 0);
            $this->connection = $connection;
        }

        /**
         * @param int|null $row
         * @return array<int, string|null>|false
         */
        public function take(?int $row) {
            if ($row !== null) {
                $this->pointer = $row;
            }
            if (!isset($this->rows[$this->pointer])) {
                return false;
            }
            return $this->rows[$this->pointer++];
        }

        /**
         * @param array<int, string|null> $values
         * @return array<string, string|null>
         */
        public function assoc(array $values): array {
            $row = [];
            foreach ($this->fields as $i => $field) {
                $row[$field[0]] = $values[$i] ?? null;
            }
            return $row;
        }
    }

    /** @var mpc_pglite_connection|null the connection of the single-argument forms */
    $GLOBALS['mpc_pglite_default'] = null;

    /**
     * The connection argument, or the last one opened (pg_query($sql) style).
     *
     * @param mixed $connection
     * @return mpc_pglite_connection|null
     */
    function mpc_pglite_connection($connection) {
        if ($connection instanceof mpc_pglite_connection) {
            return $connection;
        }
        return $GLOBALS['mpc_pglite_default'];
    }

    /**
     * PostgreSQL rejects text that is not UTF-8; so does this bridge, with PostgreSQL's message.
     *
     * @param string $text
     * @return string|null the error, or null when the text is valid
     */
    function mpc_pglite_invalid_utf8(string $text): ?string {
        if (mb_check_encoding($text, 'UTF-8')) {
            return null;
        }
        // Length of the longest valid prefix, then PostgreSQL's report of the next bytes.
        preg_match('/^(?:[\x00-\x7F]|[\xC2-\xDF][\x80-\xBF]|\xE0[\xA0-\xBF][\x80-\xBF]|[\xE1-\xEC\xEE\xEF][\x80-\xBF]{2}' .
            '|\xED[\x80-\x9F][\x80-\xBF]|\xF0[\x90-\xBF][\x80-\xBF]{2}|[\xF1-\xF3][\x80-\xBF]{3}|\xF4[\x80-\x8F][\x80-\xBF]{2})*/s',
            $text, $m);
        $bad = substr($text, strlen($m[0]), 1);
        return 'invalid byte sequence for encoding "UTF8": 0x' . bin2hex($bad);
    }

    function pg_connect(string $connectionstring, int $flags = 0) {
        $connection = new mpc_pglite_connection();
        $answer = $connection->call(['op' => 'connect']);
        if (empty($answer['ok'])) {
            trigger_error('pg_connect(): Unable to connect to PostgreSQL server: ' .
                ($answer['message'] ?? 'PGlite is not available'), E_USER_WARNING);
            return false;
        }
        $connection->serverversion = (string) ($answer['server_version'] ?? '');
        $GLOBALS['mpc_pglite_default'] = $connection;
        return $connection;
    }

    function pg_pconnect(string $connectionstring, int $flags = 0) {
        return pg_connect($connectionstring, $flags);
    }

    function pg_connection_status($connection): int {
        return $connection instanceof mpc_pglite_connection && $connection->open
            ? PGSQL_CONNECTION_OK : PGSQL_CONNECTION_BAD;
    }

    function pg_close($connection = null): bool {
        $connection = mpc_pglite_connection($connection);
        if ($connection === null) {
            return false;
        }
        $connection->open = false;
        if ($GLOBALS['mpc_pglite_default'] === $connection) {
            $GLOBALS['mpc_pglite_default'] = null;
        }
        return true;
    }

    function pg_client_encoding($connection = null): string {
        return 'UTF8';
    }

    function pg_set_client_encoding($connection, $encoding = null): int {
        $name = $encoding === null ? $connection : $encoding;
        return in_array(strtoupper(str_replace('-', '', (string) $name)), ['UTF8', 'UNICODE'], true) ? 0 : -1;
    }

    function pg_version($connection = null): array {
        $connection = mpc_pglite_connection($connection);
        $server = $connection ? $connection->serverversion : '';
        return ['client' => $server, 'protocol' => 3, 'server' => $server];
    }

    function pg_parameter_status($connection, $name = null) {
        $connection = $name === null ? $GLOBALS['mpc_pglite_default'] : mpc_pglite_connection($connection);
        $name = $name ?? $connection;
        if ($name === 'server_version' && $connection) {
            return $connection->serverversion;
        }
        switch ($name) {
            case 'client_encoding':
            case 'server_encoding':
                return 'UTF8';
            case 'standard_conforming_strings':
            case 'integer_datetimes':
                return 'on';
            default:
                return false;
        }
    }

    function pg_last_error($connection = null): string {
        $connection = mpc_pglite_connection($connection);
        return $connection ? $connection->lasterror : '';
    }

    /**
     * @param mpc_pglite_connection|null $connection
     * @param array $request
     * @return mpc_pglite_result|false
     */
    function mpc_pglite_run($connection, array $request) {
        if ($connection === null) {
            trigger_error('No PostgreSQL connection opened yet', E_USER_WARNING);
            return false;
        }
        $texts = [$request['sql']];
        foreach ($request['params'] ?? [] as $param) {
            if ($param !== null) {
                $texts[] = $param;
            }
        }
        foreach ($texts as $text) {
            $bad = mpc_pglite_invalid_utf8($text);
            if ($bad !== null) {
                $connection->lasterror = 'ERROR:  ' . $bad;
                return false;
            }
        }
        $answer = $connection->call($request);
        if (empty($answer['ok'])) {
            $connection->lasterror = mpc_pglite_connection::error_text($answer);
            return false;
        }
        $connection->lasterror = '';
        return new mpc_pglite_result($answer, $connection);
    }

    function pg_query($connection, $query = null) {
        if ($query === null) {
            [$connection, $query] = [null, $connection];
        }
        return mpc_pglite_run(mpc_pglite_connection($connection), ['op' => 'exec', 'sql' => (string) $query]);
    }

    function pg_query_params($connection, $query, $params = null) {
        if ($params === null) {
            [$connection, $query, $params] = [null, $connection, $query];
        }
        $values = [];
        foreach ($params as $value) {
            // As the pgsql extension does: NULL stays NULL, everything else goes as its string.
            $values[] = $value === null ? null : (string) $value;
        }
        return mpc_pglite_run(mpc_pglite_connection($connection),
            ['op' => 'query', 'sql' => (string) $query, 'params' => $values]);
    }

    function pg_free_result($result): bool {
        if ($result instanceof mpc_pglite_result) {
            $result->rows = [];
        }
        return true;
    }

    function pg_num_rows($result): int {
        return count($result->rows);
    }

    function pg_num_fields($result): int {
        return count($result->fields);
    }

    function pg_affected_rows($result): int {
        return $result->affected;
    }

    function pg_field_name($result, int $field): string {
        return $result->fields[$field][0];
    }

    function pg_field_num($result, string $field): int {
        foreach ($result->fields as $i => $f) {
            if ($f[0] === $field) {
                return $i;
            }
        }
        return -1;
    }

    function pg_field_type_oid($result, int $field) {
        return (int) $result->fields[$field][1];
    }

    function pg_field_type($result, int $field): string {
        $oid = (int) $result->fields[$field][1];
        if (!isset(mpc_pglite_connection::$types[$oid])) {
            $answer = $result->connection->call(['op' => 'query',
                'sql' => 'SELECT typname FROM pg_catalog.pg_type WHERE oid = $1', 'params' => [(string) $oid]]);
            mpc_pglite_connection::$types[$oid] = $answer['rows'][0][0] ?? 'unknown';
        }
        return mpc_pglite_connection::$types[$oid];
    }

    function pg_fetch_row($result, $row = null, int $mode = PGSQL_NUM) {
        $values = $result->take($row);
        if ($values === false) {
            return false;
        }
        if ($mode === PGSQL_ASSOC) {
            return $result->assoc($values);
        }
        return $mode === PGSQL_BOTH ? $values + $result->assoc($values) : $values;
    }

    function pg_fetch_assoc($result, $row = null) {
        $values = $result->take($row);
        return $values === false ? false : $result->assoc($values);
    }

    function pg_fetch_array($result, $row = null, int $mode = PGSQL_BOTH) {
        return pg_fetch_row($result, $row, $mode);
    }

    function pg_fetch_object($result, $row = null, string $class = 'stdClass', array $args = []) {
        $values = pg_fetch_assoc($result, $row);
        if ($values === false) {
            return false;
        }
        $object = $class === 'stdClass' ? new stdClass() : new $class(...$args);
        foreach ($values as $name => $value) {
            $object->$name = $value;
        }
        return $object;
    }

    function pg_fetch_all($result, int $mode = PGSQL_ASSOC): array {
        $all = [];
        foreach ($result->rows as $values) {
            $all[] = $mode === PGSQL_NUM ? $values
                : ($mode === PGSQL_BOTH ? $values + $result->assoc($values) : $result->assoc($values));
        }
        return $all;
    }

    function pg_fetch_all_columns($result, int $field = 0): array {
        return array_map(fn($values) => $values[$field] ?? null, $result->rows);
    }

    function pg_fetch_result($result, $row, $field = null) {
        if ($field === null) {
            [$row, $field] = [null, $row];
        }
        $values = $row === null ? ($result->rows[$result->pointer++] ?? null) : ($result->rows[$row] ?? null);
        if ($values === null) {
            return false;
        }
        $index = is_int($field) ? $field : pg_field_num($result, (string) $field);
        return $values[$index] ?? null;
    }

    function pg_result_status($result, int $mode = 1) {
        return count($result->fields) > 0 ? PGSQL_TUPLES_OK : PGSQL_COMMAND_OK;
    }

    function pg_escape_string($connection, $string = null): string {
        $string = $string === null ? $connection : $string;
        // standard_conforming_strings is on: only the quote doubles.
        return str_replace("'", "''", (string) $string);
    }

    function pg_escape_literal($connection, $string = null): string {
        $string = $string === null ? $connection : $string;
        $string = (string) $string;
        if (strpos($string, '\\') !== false) {
            return " E'" . str_replace(['\\', "'"], ['\\\\', "''"], $string) . "'";
        }
        return "'" . str_replace("'", "''", $string) . "'";
    }

    function pg_escape_identifier($connection, $string = null): string {
        $string = $string === null ? $connection : $string;
        return '"' . str_replace('"', '""', (string) $string) . '"';
    }

    function pg_escape_bytea($connection, $string = null): string {
        $string = $string === null ? $connection : $string;
        return '\\x' . bin2hex((string) $string);
    }

    function pg_unescape_bytea(string $string): string {
        if (strncmp($string, '\\x', 2) === 0) {
            return (string) hex2bin(substr($string, 2));
        }
        // The escape format (bytea_output = 'escape'): \\ and \ooo octal.
        return preg_replace_callback('/\\\\(\\\\|[0-3][0-7]{2})/', function ($m) {
            return $m[1] === '\\' ? '\\' : chr(octdec($m[1]));
        }, $string);
    }
}
