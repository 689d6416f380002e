<?php
// This file is part of moodle-plugin-check.
//
// Adjusts a COPY of Moodle's admin/environment.xml so that the environment check
// can pass on SQLite (and on PHP builds without sodium, such as php-wasm).
// Every change is printed as JSON so the report can state it: a downgraded check
// is not a passed check.
//
// Usage: php patch_environment.php <environment.xml> [--sqlite-version=3.35.0] [--optional-extension=NAME ...]
//   Rewrites the file in place. Run it on the per-run copy of the Moodle tree only.
//   --optional-extension=NAME  downgrade <PHP_EXTENSION name="NAME" level="required"> to optional.
//                 Pass it only for extensions the target PHP lacks: sodium in php-wasm (Moodle >= 4.2),
//                 intl in php-wasm without ICU data (required from Moodle 5.1).
//   --lift-php-ceiling  remove <RESTRICT function="restrict_php_version_NN"/> (the "PHP NN and
//                 higher are not supported" ceiling), e.g. to run Moodle 4.1 (PHP <= 8.1) on PHP 8.3.
//                 Moodle is then running outside its supported range: report it as such.
//   --no-sqlite-vendor  leave the <DATABASE> blocks alone (the site runs on PostgreSQL).
//
// Output (stdout): {"file": "...", "adjustments": [{"rule": "...", "moodle": "4.5", "detail": "..."}]}
//
// The edits are textual so the rest of the file stays byte-identical:
//  1. <VENDOR name="sqlite" version="X" /> is appended to EVERY <DATABASE> block:
//     each <MOODLE version> section lists its own vendors, and the check reads the
//     section of the release being installed.
//  2. For each --optional-extension, level="required" becomes level="optional", and the
//     extension's <ON_ERROR> feedback becomes <ON_CHECK> (Moodle rejects an optional check
//     with ON_ERROR feedback as "environment data error 17").
//  3. With --lift-php-ceiling, the RESTRICT elements under <PHP> are removed.

if ($argc < 2) {
    fwrite(STDERR, "usage: php patch_environment.php <environment.xml> [--sqlite-version=X] [--optional-extension=NAME ...] [--lift-php-ceiling] [--no-sqlite-vendor]\n");
    exit(2);
}
$file = $argv[1];
$sqliteversion = '3.35.0';
$optional = [];
$liftceiling = false;
foreach (array_slice($argv, 2) as $arg) {
    if (preg_match('/^--sqlite-version=(\d+(?:\.\d+)*)$/', $arg, $m)) {
        $sqliteversion = $m[1];
    } else if (preg_match('/^--optional-extension=([a-z0-9_]+)$/', $arg, $m)) {
        $optional[] = $m[1];
    } else if ($arg === '--lift-php-ceiling') {
        $liftceiling = true;
    } else if ($arg === '--no-sqlite-vendor') {
        $sqliteversion = null;
    } else {
        fwrite(STDERR, "unknown option: $arg\n");
        exit(2);
    }
}
$xml = @file_get_contents($file);
if ($xml === false) {
    fwrite(STDERR, "cannot read $file\n");
    exit(1);
}

$adjustments = [];

// Split at each <MOODLE version="..."> so adjustments can name the release they touch.
$parts = preg_split('/(?=<MOODLE\s+version=")/', $xml);
foreach ($parts as $i => $part) {
    $release = preg_match('/^<MOODLE\s+version="([^"]+)"/', $part, $m) ? $m[1] : null;
    if ($release === null) {
        continue;
    }
    $part = preg_replace_callback('#(<DATABASE\b[^>]*>)(.*?)(\n?[ \t]*)(</DATABASE>)#s',
        function (array $m) use ($sqliteversion, $release, &$adjustments) {
            if ($sqliteversion === null || preg_match('/<VENDOR\s+name="sqlite"/', $m[2])) {
                return $m[0];
            }
            // Reuse the indentation of the existing vendor lines.
            $indent = preg_match('/\n([ \t]*)<VENDOR/', $m[2], $im) ? $im[1] : '      ';
            $adjustments[] = [
                'rule' => 'database-vendor-sqlite',
                'moodle' => $release,
                'detail' => "added <VENDOR name=\"sqlite\" version=\"$sqliteversion\" />",
            ];
            return $m[1] . $m[2] . "\n" . $indent . '<VENDOR name="sqlite" version="' . $sqliteversion . '" />' .
                $m[3] . $m[4];
        }, $part);
    foreach ($optional as $extension) {
        // Self-closing form, or an element with a FEEDBACK body.
        $pattern = '#<PHP_EXTENSION\s+name="' . $extension . '"\s+level="required"\s*(/>|>(.*?)</PHP_EXTENSION>)#s';
        $part = preg_replace_callback($pattern, function (array $m) use ($extension, $release, &$adjustments) {
            $adjustments[] = [
                'rule' => 'php-extension-optional',
                'moodle' => $release,
                'detail' => "PHP extension $extension downgraded from required to optional (not usable in this PHP)",
            ];
            if ($m[1] === '/>') {
                return '<PHP_EXTENSION name="' . $extension . '" level="optional"/>';
            }
            $body = str_replace('<ON_ERROR ', '<ON_CHECK ', $m[2]);
            return '<PHP_EXTENSION name="' . $extension . '" level="optional">' . $body . '</PHP_EXTENSION>';
        }, $part);
    }
    if ($liftceiling) {
        $part = preg_replace_callback('#\n[ \t]*<RESTRICT\s+function="(restrict_php_version_\d+)"[^>]*/>#',
            function (array $m) use ($release, &$adjustments) {
                $adjustments[] = [
                    'rule' => 'php-version-ceiling-lifted',
                    'moodle' => $release,
                    'detail' => "removed $m[1]: this PHP is newer than the release supports",
                ];
                return '';
            }, $part);
    }
    $parts[$i] = $part;
}

if (file_put_contents($file, implode('', $parts)) === false) {
    fwrite(STDERR, "cannot write $file\n");
    exit(1);
}
echo json_encode(['file' => $file, 'adjustments' => $adjustments, 'sodium' => extension_loaded('sodium')], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES), "\n";
