<?php
// Runs a batch of blueprint operations inside Moodle, through Moodle's own APIs, in order.
// Usage: php ops.php /mpc-run/ops-N.json. The arguments arrive as a JSON file written by
// moodle-plugin-check (never interpolated into PHP code). For each operation it prints a start
// line and a result line, both prefixed with @@MPC-BP@@, so a fatal error still shows which
// operation was running. A failed operation is reported and the batch goes on (as the Moodle
// Playground goes on past a failed step), unless the operation is critical: then it stops (exit 1).

define('CLI_SCRIPT', true);

$mpcinput = json_decode((string) file_get_contents($argv[1] ?? ''), true);
if (!is_array($mpcinput) || !isset($mpcinput['ops']) || !is_array($mpcinput['ops'])) {
    fwrite(STDERR, "ops.php: no operations given\n");
    exit(2);
}

require('/www/moodle/config.php');
require_once($CFG->dirroot . '/user/lib.php');
require_once($CFG->dirroot . '/course/lib.php');
require_once($CFG->dirroot . '/course/modlib.php');
require_once($CFG->libdir . '/enrollib.php');
require_once(__DIR__ . '/ops_lib.php');
require_once(__DIR__ . '/ops_admin.php');

// Blueprint steps act as the site administrator, as they do in Moodle Playground.
\core\session\manager::set_user(get_admin());

const MPC_OPS = [
    'runtime', 'installMoodle', 'setAdminAccount', 'setConfigs', 'createUsers', 'createCategories',
    'createCourses', 'createSections', 'enrolUsers', 'addModule', 'createRoles', 'importRoles',
    'createScales', 'createCohorts', 'setTheme', 'setConfigFiles', 'purgeMoodleCaches',
    'restoreCourse', 'installLanguagePack',
];

function mpc_emit(array $record): void {
    echo "\n@@MPC-BP@@" . json_encode($record) . "\n";
}

foreach ($mpcinput['ops'] as $op) {
    $index = (int) $op['index'];
    mpc_emit(['event' => 'start', 'index' => $index]);
    $start = microtime(true);
    try {
        if (!in_array($op['op'], MPC_OPS, true)) {
            throw new coding_exception('unknown blueprint operation ' . $op['op']);
        }
        $output = call_user_func('mpc_op_' . $op['op'], $op['args']);
        mpc_emit(['event' => 'done', 'index' => $index, 'ok' => true,
            'ms' => (int) round((microtime(true) - $start) * 1000), 'output' => (string) $output]);
    } catch (Throwable $e) {
        $message = $e->getMessage();
        if ($e instanceof moodle_exception && !empty($e->debuginfo)) {
            $message .= ' (' . trim($e->debuginfo) . ')';
        }
        // Moodle's messages may be HTML (validation lists); the report wants one line of text.
        $message = trim(preg_replace('/\s+/', ' ', strip_tags(str_replace('</div>', ' </div>', $message))));
        mpc_emit(['event' => 'done', 'index' => $index, 'ok' => false,
            'ms' => (int) round((microtime(true) - $start) * 1000),
            'error' => $message, 'at' => basename($e->getFile()) . ':' . $e->getLine()]);
        if (!empty($op['critical'])) {
            exit(1);
        }
        // What the failed call left half done must not leak into the next step's database work.
        if ($DB->is_transaction_started()) {
            $DB->force_transaction_rollback();
        }
    }
}
exit(0);
