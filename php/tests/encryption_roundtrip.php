<?php
// Encrypts and decrypts through Moodle's \core\encryption on the provisioned site; prints "ok".
// Usage: php encryption_roundtrip.php <moodle root>
define('CLI_SCRIPT', true);
require($argv[1] . '/config.php');

$secret = "moodle-plugin-check \u{2713} " . random_bytes(8);
$box = \core\encryption::encrypt($secret);
if (strpos($box, 'sodium:') !== 0) {
    fwrite(STDERR, "unexpected method: $box\n");
    exit(1);
}
if (\core\encryption::decrypt($box) !== $secret) {
    fwrite(STDERR, "decrypt gave something else\n");
    exit(1);
}
// A tampered box must not decrypt (secretbox is authenticated; so is our fallback).
$raw = base64_decode(substr($box, 7));
$raw[strlen($raw) - 1] = chr(ord($raw[strlen($raw) - 1]) ^ 1);
try {
    \core\encryption::decrypt('sodium:' . base64_encode($raw));
    fwrite(STDERR, "tampered data decrypted\n");
    exit(1);
} catch (\moodle_exception $e) {
    echo "ok\n";
}
