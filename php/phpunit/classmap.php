<?php
// Classmap of PHP files for the vendor/ autoloader moodle-plugin-check generates: what Composer's
// classmap autoloading finds (classes, interfaces, traits, enums), found with PHP's own tokenizer.
// Usage: php classmap.php <vendor dir> <request.json>; request: {"dirs": [...], "exclude": [...]},
// both relative to the vendor dir. Prints {"Class\\Name": "relative/path.php", ...} as JSON.

[, $vendor, $requestfile] = $argv;
$request = json_decode(file_get_contents($requestfile), true, 512, JSON_THROW_ON_ERROR);
$exclude = array_map(fn($p) => rtrim($vendor . '/' . $p, '/'), $request['exclude'] ?? []);
$map = [];

$excluded = function (string $path) use ($exclude): bool {
    foreach ($exclude as $e) {
        if ($path === $e || str_starts_with($path, $e . '/')) {
            return true;
        }
    }
    return false;
};

$scan = function (string $file) use (&$map, $vendor): void {
    $tokens = token_get_all(file_get_contents($file));
    $namespace = '';
    $count = count($tokens);
    for ($i = 0; $i < $count; $i++) {
        $t = $tokens[$i];
        if (!is_array($t)) {
            continue;
        }
        if ($t[0] === T_NAMESPACE) {
            $namespace = '';
            for ($j = $i + 1; $j < $count; $j++) {
                $n = $tokens[$j];
                if (is_array($n) && in_array($n[0], [T_NAME_QUALIFIED, T_STRING], true)) {
                    $namespace = $n[1];
                    break;
                }
                if (!is_array($n) && ($n === ';' || $n === '{')) {
                    break;
                }
            }
            continue;
        }
        $kinds = [T_CLASS, T_INTERFACE, T_TRAIT];
        if (defined('T_ENUM')) {
            $kinds[] = T_ENUM;
        }
        if (!in_array($t[0], $kinds, true)) {
            continue;
        }
        // Not `Foo::class`, not `new class`, not a named argument or property called class.
        for ($p = $i - 1; $p >= 0 && is_array($tokens[$p]) && in_array($tokens[$p][0], [T_WHITESPACE, T_COMMENT, T_DOC_COMMENT], true); $p--);
        if ($p >= 0 && (is_array($tokens[$p]) ? in_array($tokens[$p][0], [T_DOUBLE_COLON, T_NEW, T_NULLSAFE_OBJECT_OPERATOR, T_OBJECT_OPERATOR], true) : false)) {
            continue;
        }
        for ($j = $i + 1; $j < $count; $j++) {
            $n = $tokens[$j];
            if (is_array($n) && $n[0] === T_WHITESPACE) {
                continue;
            }
            if (is_array($n) && $n[0] === T_STRING) {
                $name = ltrim($namespace . '\\' . $n[1], '\\');
                $map[$name] ??= substr($file, strlen($vendor) + 1);
            }
            break;
        }
    }
};

foreach ($request['dirs'] as $dir) {
    $path = rtrim($vendor . '/' . $dir, '/');
    if (is_file($path)) {
        $excluded($path) || $scan($path);
        continue;
    }
    if (!is_dir($path)) {
        continue;
    }
    $files = [];
    $it = new RecursiveIteratorIterator(new RecursiveDirectoryIterator($path, FilesystemIterator::SKIP_DOTS));
    foreach ($it as $f) {
        $name = $f->getPathname();
        if (preg_match('/\.(php|inc|hh)$/', $name) && !$excluded($name)) {
            $files[] = $name;
        }
    }
    sort($files);
    foreach ($files as $f) {
        $scan($f);
    }
}
ksort($map);
echo json_encode($map, JSON_UNESCAPED_SLASHES | JSON_THROW_ON_ERROR);
