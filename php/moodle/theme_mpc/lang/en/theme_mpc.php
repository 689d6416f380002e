<?php
defined('MOODLE_INTERNAL') || die();

$string['choosereadme'] = 'Used by moodle-plugin-check while upgrading; not meant to be chosen.';
$string['pluginname'] = 'moodle-plugin-check upgrade theme';
$string['privacy:metadata'] = 'The theme stores no personal data.';
