<?php
// What an upgrade left behind, as JSON after a marker line: the stored version of each component,
// the upgrade_log rows Moodle wrote for them after a given row id (savepoints, starts, ends, exceptions),
// and Moodle's own check_database_schema() of each install.xml against the live database.
// Moodle's files are not touched: upgrade_log is written by upgrade_plugin_savepoint() itself.
// Usage: php upgrade_report.php <moodle root> <after upgrade_log id> <component>=<install.xml or ->...
define('CLI_SCRIPT', true);
require($argv[1] . '/config.php');
require_once($CFG->libdir . '/ddllib.php');

$after = (int) $argv[2];
$out = ['components' => [], 'maxlogid' => (int) $DB->get_field_sql('SELECT MAX(id) FROM {upgrade_log}'), 'log' => [],
    'schema' => []];
$dbman = $DB->get_manager();

foreach (array_slice($argv, 3) as $arg) {
    [$component, $xml] = explode('=', $arg, 2);
    $version = get_config($component, 'version');
    $out['components'][$component] = $version === false ? null : (string) $version;
    if ($xml === '-' || !is_readable($xml)) {
        continue;
    }
    $file = new xmldb_file($xml);
    if (!$file->loadXMLStructure() || !$file->isLoaded()) {
        $out['schema'][$component] = ['error' => 'install.xml did not load'];
        continue;
    }
    // Only this plugin's tables: every other table of the site is "extra" from its point of view.
    $errors = $dbman->check_database_schema($file->getStructure(), ['extratables' => false]);
    $out['schema'][$component] = ['tables' => $errors];
}

$components = array_keys($out['components']);
if ($components) {
    [$in, $params] = $DB->get_in_or_equal($components);
    $params[] = $after;
    $rows = $DB->get_records_select('upgrade_log', "plugin $in AND id > ?", $params, 'id ASC',
        'id, type, plugin, version, targetversion, info, details, backtrace, timemodified');
    foreach ($rows as $row) {
        $out['log'][] = [
            'id' => (int) $row->id,
            'type' => (int) $row->type,
            'plugin' => $row->plugin,
            'version' => $row->version,
            'targetversion' => $row->targetversion,
            'info' => $row->info,
            'details' => $row->details,
            'backtrace' => $row->backtrace,
            'time' => (int) $row->timemodified,
        ];
    }
}

echo "\n@@MPC-UPGRADE-REPORT@@\n" . json_encode($out) . "\n";
