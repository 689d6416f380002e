<?php
// Prints the runtime settings moodle-plugin-check applies to every PHP run of a site, as JSON
// (test/moodle-site.test.ts): OPcache off, Moodle's max_input_vars, the memory limit.
echo json_encode([
    'opcache.enable_cli' => ini_get('opcache.enable_cli'),
    'opcache_enabled' => function_exists('opcache_get_status') ? (opcache_get_status(false)['opcache_enabled'] ?? false) : false,
    'max_input_vars' => ini_get('max_input_vars'),
    'memory_limit' => ini_get('memory_limit'),
]);
