<?php
// moodle-plugin-check: runs moodlehq/moodle-local_moodlecheck's rules (its rules/*.php, its
// local_moodlecheck_file and registry, unchanged) on a list of files and prints one JSON object:
// {"files": {"<path>": [{"line", "severity", "source", "message"}]}}. moodlecheck is a Moodle
// plugin; what it asks of Moodle outside a page (get_string, moodleform, the lang strings) is
// given here, and nothing else of Moodle is loaded.
//
// argv: 1 = the folder whose local/moodlecheck is moodlecheck, 2 = a file listing the paths to
// check (one per line), 3 = the prefix to take off the paths in the output.

define('MOODLE_INTERNAL', true);

$dirroot = $argv[1];
$paths = array_filter(array_map('trim', file($argv[2])));
$prefix = $argv[3];

global $CFG;
$CFG = new stdClass();
$CFG->dirroot = $dirroot;
$CFG->libdir = __DIR__ . '/moodlecheck-lib';

/** moodlecheck's own strings, as Moodle's get_string would give them. */
function mpc_moodlecheck_strings(): array {
    static $strings = null;
    if ($strings === null) {
        $string = [];
        include($GLOBALS['CFG']->dirroot . '/local/moodlecheck/lang/en/local_moodlecheck.php');
        $strings = $string;
    }
    return $strings;
}

/** Moodle's get_string for moodlecheck's component: {$a} and {$a->name} filled in. */
function get_string($identifier, $component = '', $a = null) {
    $strings = mpc_moodlecheck_strings();
    $text = $strings[$identifier] ?? "[[{$identifier}]]";
    if (is_object($a) || is_array($a)) {
        foreach ((array) $a as $name => $value) {
            if (is_scalar($value) || $value === null) {
                $text = str_replace('{$a->' . $name . '}', (string) $value, $text);
            }
        }
    } else if ($a !== null) {
        $text = str_replace('{$a}', (string) $a, $text);
    }
    return $text;
}

/** Moodle's string manager, as far as moodlecheck asks it. */
function get_string_manager() {
    return new class {
        public function string_exists($identifier, $component) {
            return array_key_exists($identifier, mpc_moodlecheck_strings());
        }
    };
}

require_once($dirroot . '/local/moodlecheck/locallib.php');
foreach (glob($dirroot . '/local/moodlecheck/rules/*.php') as $rules) {
    require_once($rules);
}
local_moodlecheck_registry::enable_all_rules();

$out = [];
foreach ($paths as $path) {
    $file = new local_moodlecheck_file($path);
    $errors = [];
    foreach ($file->validate() as $error) {
        $errors[] = [
            'line' => isset($error['line']) && $error['line'] !== '' ? (int) $error['line'] : null,
            'severity' => (string) ($error['severity'] ?? 'error'),
            'source' => html_entity_decode((string) ($error['source'] ?? ''), ENT_QUOTES | ENT_HTML5),
            'message' => html_entity_decode(strip_tags((string) $error['message']), ENT_QUOTES | ENT_HTML5),
        ];
    }
    $name = strpos($path, $prefix) === 0 ? substr($path, strlen($prefix)) : $path;
    $out[$name] = $errors;
}
echo json_encode(['files' => (object) $out], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE), "\n";
