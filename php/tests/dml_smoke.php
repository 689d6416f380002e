<?php
// This file is part of moodle-plugin-check.
//
// Smoke test of the database driver (our SQLite driver, or Moodle's PostgreSQL driver on PGlite)
// and its DDL generator against an installed site.
// Moodle's own dml_test/ddl_test need PHPUnit and Composer; this needs neither.
//
// Usage: php dml_smoke.php /path/to/moodle/config.php
// Exit code 0 when every check passes; prints one line per failure.
// It only touches its own tables (mpc_smoke*), and drops them at the end.

define('CLI_SCRIPT', true);
if ($argc < 2) {
    fwrite(STDERR, "usage: php dml_smoke.php /path/to/config.php\n");
    exit(2);
}
require($argv[1]);

$failures = 0;
$checks = 0;
function check(string $name, $actual, $expected): void {
    global $failures, $checks;
    $checks++;
    if ($actual != $expected || ($expected === null) !== ($actual === null)) {
        $failures++;
        echo "FAIL $name: expected " . var_export($expected, true) . ', got ' . var_export($actual, true) . "\n";
    }
}

/** Column metadata as check_database_schema() compares it. */
function colinfo(string $table, string $column): string {
    global $DB;
    $c = $DB->get_columns($table, false)[$column] ?? null;
    if (!$c) {
        return 'missing';
    }
    return "$c->meta_type/$c->max_length/" . ($c->scale ?? '') . '/' . ($c->not_null ? 'NN' : 'N') . '/' .
        ($c->has_default ? var_export($c->default_value, true) : '-');
}

$dbman = $DB->get_manager();
foreach (['mpc_smoke', 'mpc_smoke2', 'mpc_smoke_renamed'] as $t) {
    if ($dbman->table_exists($t)) {
        $dbman->drop_table(new xmldb_table($t));
    }
}

// Create.
$table = new xmldb_table('mpc_smoke');
$table->add_field('id', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, XMLDB_SEQUENCE);
$table->add_field('course', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, '0');
$table->add_field('name', XMLDB_TYPE_CHAR, '100', null, XMLDB_NOTNULL, null, "it's");
$table->add_field('grade', XMLDB_TYPE_NUMBER, '10, 5', null, null, null, '1.5');
$table->add_field('intro', XMLDB_TYPE_TEXT);
$table->add_field('data', XMLDB_TYPE_BINARY);
$table->add_key('primary', XMLDB_KEY_PRIMARY, ['id']);
$table->add_key('course', XMLDB_KEY_FOREIGN, ['course'], 'course', ['id']);
$table->add_index('name', XMLDB_INDEX_UNIQUE, ['name']);
$dbman->create_table($table);
check('create', $dbman->table_exists('mpc_smoke'), true);
check('col id', colinfo('mpc_smoke', 'id'), "R/18//NN/-");
check('col course', colinfo('mpc_smoke', 'course'), "I/10//NN/'0'");
check('col name', colinfo('mpc_smoke', 'name'), "C/100//NN/" . var_export("it's", true));
check('col grade', colinfo('mpc_smoke', 'grade'), "N/10/5/N/'1.5'");
check('col intro', colinfo('mpc_smoke', 'intro'), "X/-1//N/-");
check('col data', colinfo('mpc_smoke', 'data'), "B/-1//N/-");
check('indexes', count($DB->get_indexes('mpc_smoke')), 2);

// DML.
$binary = random_bytes(64) . "\0end";
$id1 = $DB->insert_record('mpc_smoke', ['course' => 3, 'name' => 'Ärger', 'intro' => 'hello world', 'data' => $binary]);
$id2 = $DB->insert_record('mpc_smoke', ['course' => 4, 'name' => 'beta', 'grade' => 2.25]);
check('insert ids', [$id1, $id2 - $id1], [$id1, 1]);
check('blob roundtrip', $DB->get_field('mpc_smoke', 'data', ['id' => $id1]), $binary);
check('string results', $DB->get_field('mpc_smoke', 'course', ['id' => $id1]), '3');
check('is string', is_string($DB->get_field('mpc_smoke', 'course', ['id' => $id1])), true);
check('default applied', $DB->get_field('mpc_smoke', 'grade', ['id' => $id1]), '1.5');
check('count', $DB->count_records('mpc_smoke'), 2);
check('like case-sensitive', $DB->count_records_select('mpc_smoke', $DB->sql_like('name', '?'), ['BETA']), 0);
check('like case-insensitive', $DB->count_records_select('mpc_smoke', $DB->sql_like('name', '?', false), ['BETA']), 1);
check('like unicode ci', $DB->count_records_select('mpc_smoke', $DB->sql_like('name', '?', false), ['ärg%']), 1);
check('like escape', $DB->count_records_select('mpc_smoke', $DB->sql_like('name', '?'), [$DB->sql_like_escape('be_a')]), 0);
check('not like', $DB->count_records_select('mpc_smoke', $DB->sql_like('name', '?', true, true, true), ['b%']), 1);
check('equal ci', $DB->count_records_select('mpc_smoke', $DB->sql_equal('name', '?', false), ['ÄRGER']), 1);
check('regex', $DB->count_records_select('mpc_smoke', 'name ' . $DB->sql_regex() . ' ?', ['^B']), 1);
check('regex cs', $DB->count_records_select('mpc_smoke', 'name ' . $DB->sql_regex(true, true) . ' ?', ['^B']), 0);
check('not regex', $DB->count_records_select('mpc_smoke', 'name ' . $DB->sql_regex(false) . ' ?', ['^b']), 1);
check('regex boundary', $DB->count_records_select('mpc_smoke', 'intro ' . $DB->sql_regex() . ' ?',
    [$DB->sql_regex_get_word_beginning_boundary_marker() . 'world' . $DB->sql_regex_get_word_end_boundary_marker()]), 1);
check('concat', $DB->get_field_sql('SELECT ' . $DB->sql_concat('name', "'-'", 'course') . ' FROM {mpc_smoke} WHERE id = ?',
    [$id2]), 'beta-4');
check('concat_join', $DB->get_field_sql('SELECT ' . $DB->sql_concat_join("'/'", ['name', 'course']) .
    ' FROM {mpc_smoke} WHERE id = ?', [$id2]), 'beta/4');
check('group_concat', $DB->get_field_sql('SELECT ' . $DB->sql_group_concat('course', ',', 'course DESC') .
    ' FROM {mpc_smoke}'), version_compare($DB->get_server_info()['version'], '3.44', '>=') ? '4,3' : '3,4');
check('position', $DB->get_field_sql('SELECT ' . $DB->sql_position("'t'", 'name') . ' FROM {mpc_smoke} WHERE id = ?',
    [$id2]), '3');
check('substr', $DB->get_field_sql('SELECT ' . $DB->sql_substr('name', 2, 2) . ' FROM {mpc_smoke} WHERE id = ?',
    [$id2]), 'et');
check('length', $DB->get_field_sql('SELECT ' . $DB->sql_length('name') . ' FROM {mpc_smoke} WHERE id = ?', [$id1]), '5');
check('ceil', $DB->get_field_sql('SELECT ' . $DB->sql_ceil('grade') . ' FROM {mpc_smoke} WHERE id = ?', [$id2]), '3');
check('bitxor', $DB->get_field_sql('SELECT ' . $DB->sql_bitxor(6, 3) . $DB->sql_null_from_clause()), '5');
check('bitand/or', $DB->get_field_sql('SELECT ' . $DB->sql_bitand(6, 3) . ' + ' . $DB->sql_bitor(6, 3)), '9');
check('greatest/least', $DB->get_field_sql('SELECT GREATEST(1, 3, 2) + LEAST(5, 4)'), '7');
check('modulo', $DB->get_field_sql('SELECT ' . $DB->sql_modulo(7, 3)), '1');
check('cast char2int', $DB->get_field_sql('SELECT ' . $DB->sql_cast_char2int("'42'") . ' + 1'), '43');
check('cast char2real', $DB->get_field_sql('SELECT ' . $DB->sql_cast_char2real("'1.25'") . ' * 2'), '2.5');
check('cast to char', $DB->get_field_sql('SELECT ' . $DB->sql_cast_to_char('course') . " || 'x' FROM {mpc_smoke}" .
    ' WHERE id = ?', [$id1]), '3x');
check('intersect', $DB->get_fieldset_sql($DB->sql_intersect(['SELECT id FROM {mpc_smoke}',
    'SELECT id FROM {mpc_smoke} WHERE course = 4'], 'id')), [$id2]);
check('order by text', count($DB->get_records_sql('SELECT id FROM {mpc_smoke} ORDER BY ' .
    $DB->sql_order_by_text('intro'))), 2);
check('isempty', $DB->count_records_select('mpc_smoke', $DB->sql_isempty('mpc_smoke', 'name', false, false)), 0);
[$insql, $inparams] = $DB->get_in_or_equal([3, 4], SQL_PARAMS_NAMED);
check('in named', $DB->count_records_select('mpc_smoke', "course $insql", $inparams), 2);
check('limit/offset', array_values($DB->get_fieldset_sql('SELECT id FROM {mpc_smoke} ORDER BY id', [])),
    [$id1, $id2]);
check('limitfrom only', array_keys($DB->get_records('mpc_smoke', null, 'id', 'id', 1)), [$id2]);
check('limitnum', array_keys($DB->get_records('mpc_smoke', null, 'id', 'id', 0, 1)), [$id1]);
$rs = $DB->get_recordset('mpc_smoke', null, 'id');
$seen = [];
foreach ($rs as $k => $r) {
    $seen[] = $k;
    // Writing while a recordset is open must not lock.
    $DB->set_field('mpc_smoke', 'intro', 'touched', ['id' => $r->id]);
}
$rs->close();
check('recordset', $seen, [$id1, $id2]);
check('set_field_select', $DB->count_records_select('mpc_smoke', $DB->sql_compare_text('intro') . ' = ?', ['touched']), 2);
$DB->update_record('mpc_smoke', (object) ['id' => $id2, 'grade' => '', 'name' => 'gamma']);
check('update + empty number', $DB->get_record('mpc_smoke', ['id' => $id2], 'name, grade'),
    (object) ['name' => 'gamma', 'grade' => '0']);
$DB->replace_all_text('mpc_smoke', $DB->get_columns('mpc_smoke')['name'], 'amm', 'AMM');
check('replace_all_text', $DB->get_field('mpc_smoke', 'name', ['id' => $id2]), 'gAMMa');

// Transactions.
$t = $DB->start_delegated_transaction();
$DB->insert_record('mpc_smoke', ['course' => 5, 'name' => 'inner']);
$t->allow_commit();
check('commit', $DB->count_records('mpc_smoke'), 3);
try {
    $t = $DB->start_delegated_transaction();
    $DB->insert_record('mpc_smoke', ['course' => 6, 'name' => 'rolledback']);
    throw new Exception('rollback me');
} catch (Exception $e) {
    try {
        $t->rollback($e);
    } catch (Exception $e2) {
        // Rollback rethrows.
    }
}
check('rollback', $DB->count_records('mpc_smoke'), 3);
$DB->delete_records('mpc_smoke', ['name' => 'inner']);
check('delete', $DB->count_records('mpc_smoke'), 2);
$DB->insert_records('mpc_smoke', [['course' => 7, 'name' => 'bulk1'], ['course' => 7, 'name' => 'bulk2']]);
check('insert_records', $DB->count_records('mpc_smoke', ['course' => 7]), 2);
$DB->delete_records('mpc_smoke', ['course' => 7]);
$maxid = (int) $DB->get_field_sql('SELECT MAX(id) FROM {mpc_smoke}');

// DDL alterations (each rebuild must keep rows, indexes and the sequence).
$field = new xmldb_field('extra', XMLDB_TYPE_INTEGER, '5', null, null, null, null);
$dbman->add_field($table, $field);
check('add nullable', colinfo('mpc_smoke', 'extra'), "I/5//N/-");
$field = new xmldb_field('flag', XMLDB_TYPE_INTEGER, '2', null, XMLDB_NOTNULL, null, '1');
$dbman->add_field($table, $field);
check('add notnull default', colinfo('mpc_smoke', 'flag'), "I/2//NN/'1'");
check('add notnull default rows', $DB->get_field('mpc_smoke', 'flag', ['id' => $id1]), '1');
$field = new xmldb_field('code', XMLDB_TYPE_CHAR, '20', null, XMLDB_NOTNULL);
$dbman->add_field($table, $field);
check('add notnull char', colinfo('mpc_smoke', 'code'), "C/20//NN/''");
$field = new xmldb_field('extra', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, '7');
$dbman->change_field_precision($table, $field);
$dbman->change_field_notnull($table, $field);
$dbman->change_field_default($table, $field);
check('alter notnull/default/precision', colinfo('mpc_smoke', 'extra'), "I/10//NN/'7'");
check('alter fills nulls', $DB->get_field('mpc_smoke', 'extra', ['id' => $id1]), '7');
$field = new xmldb_field('grade', XMLDB_TYPE_CHAR, '30', null, null, null, null);
$dbman->change_field_type($table, $field);
check('change type', colinfo('mpc_smoke', 'grade'), "C/30//N/-");
$dbman->rename_field($table, new xmldb_field('intro', XMLDB_TYPE_TEXT), 'summary');
check('rename field', colinfo('mpc_smoke', 'summary'), "X/-1//N/-");
$dbman->drop_field($table, new xmldb_field('code'));
check('drop field', colinfo('mpc_smoke', 'code'), 'missing');
check('rows kept', $DB->count_records('mpc_smoke'), 2);
check('blob kept', $DB->get_field('mpc_smoke', 'data', ['id' => $id1]), $binary);
check('indexes kept', count($DB->get_indexes('mpc_smoke')), 2);
$newid = $DB->insert_record('mpc_smoke', ['course' => 1, 'name' => 'after']);
check('sequence kept', $newid > $maxid + 2, true);
$index = new xmldb_index('courseflag', XMLDB_INDEX_NOTUNIQUE, ['course', 'flag']);
$dbman->add_index($table, $index);
check('add index', $dbman->index_exists($table, $index), true);
$dbman->rename_index($table, $index, 'mpc_smoke_renamed_ix');
check('rename index', array_key_exists('mpc_smoke_renamed_ix', $DB->get_indexes('mpc_smoke')), true);
$dbman->drop_index($table, $index);
check('drop index', $dbman->index_exists($table, $index), false);
$key = new xmldb_key('flagu', XMLDB_KEY_UNIQUE, ['flag', 'course']);
$dbman->add_key($table, $key);
check('add unique key', $dbman->index_exists($table, new xmldb_index('x', XMLDB_INDEX_UNIQUE, ['flag', 'course'])), true);
$dbman->drop_key($table, $key);
check('drop unique key', $dbman->index_exists($table, new xmldb_index('x', XMLDB_INDEX_UNIQUE, ['flag', 'course'])),
    false);
$DB->delete_records('mpc_smoke', ['id' => $newid]);
$dbman->reset_sequence($table);
// As PostgreSQL: the sequence restarts after the highest id still present.
$expected = (int) $DB->get_field_sql('SELECT MAX(id) FROM {mpc_smoke}') + 1;
check('reset sequence', $DB->insert_record('mpc_smoke', ['course' => 1, 'name' => 'reseq']), $expected);

// Rename / temp tables / drop.
$dbman->rename_table($table, 'mpc_smoke_renamed');
check('rename table', [$dbman->table_exists('mpc_smoke'), $dbman->table_exists('mpc_smoke_renamed')], [false, true]);
$temp = new xmldb_table('mpc_smoke2');
$temp->add_field('id', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, XMLDB_SEQUENCE);
$temp->add_field('v', XMLDB_TYPE_CHAR, '10');
$temp->add_key('primary', XMLDB_KEY_PRIMARY, ['id']);
$temp->add_index('v', XMLDB_INDEX_NOTUNIQUE, ['v']);
$dbman->create_temp_table($temp);
$DB->insert_record('mpc_smoke2', ['v' => 'a']);
check('temp table', $DB->count_records('mpc_smoke2'), 1);
check('temp listed', isset($DB->get_tables(false)['mpc_smoke2']), true);
$dbman->add_field($temp, new xmldb_field('w', XMLDB_TYPE_INTEGER, '10'));
$dbman->change_field_notnull($temp, new xmldb_field('w', XMLDB_TYPE_INTEGER, '10', null, XMLDB_NOTNULL, null, '0'));
check('temp rebuild', colinfo('mpc_smoke2', 'w'), "I/10//NN/'0'");
check('temp rebuild rows', $DB->get_records_menu('mpc_smoke2', null, '', 'v, w'), ['a' => '0']);
$dbman->drop_table($temp);
check('temp dropped', $dbman->table_exists('mpc_smoke2'), false);
$dbman->drop_table(new xmldb_table('mpc_smoke_renamed'));
check('dropped', $dbman->table_exists('mpc_smoke_renamed'), false);

if ($failures) {
    echo "$checks checks, $failures failures\n";
    exit(1);
}
echo "ok ($checks checks)\n";
