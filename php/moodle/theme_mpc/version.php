<?php
// Installed with the site by moodle-plugin-check; never the site's chosen theme.
defined('MOODLE_INTERNAL') || die();

$plugin->component = 'theme_mpc';
$plugin->version = 2026112300;
$plugin->requires = 2022112800;
$plugin->maturity = MATURITY_STABLE;
$plugin->release = '1.0';
