<?php
// A theme with no SCSS, used only while admin/cli/upgrade.php runs for a plugin that is not a
// theme (see php/config/config.php.tpl):
// upgrade.php ends by building the site theme's CSS, and Boost's SCSS compile takes 5-10 s in
// php-wasm without touching the plugin under test. Plugins' styles.css are still collected and
// processed into this theme's CSS, so a plugin's stylesheet still goes through Moodle's pipeline.
defined('MOODLE_INTERNAL') || die();

$THEME->name = 'mpc';
$THEME->parents = [];
$THEME->sheets = [];
$THEME->editor_sheets = [];
$THEME->layouts = [];
$THEME->yuicssmodules = [];
$THEME->enable_dock = false;
