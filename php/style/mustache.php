<?php
// moodle-plugin-check: renders each of a plugin's Mustache templates with its example context
// (the `Example context (json):` part of its `@template` docs), with the Mustache library of the
// Moodle tree at hand, as moodlehq/moodle-local_ci's mustache_lint does: Moodle's pragmas, its
// partials resolved through the components (a theme's overrides first), its helpers emulated.
// Prints one JSON object: {"templates": [{"file", "status", "message"?, "line"?, "html"?}]}.
// HTML well-formedness is judged by the caller.
//
// argv: 1 = the request (JSON: moodle, templates [{file, path}], components {component: dir},
// types {type: dir}, theme (the theme's dir when the plugin is one)).

$request = json_decode(file_get_contents($argv[1]), true);
$moodle = $request['moodle'];

if (file_exists("$moodle/lib/mustache/src/Mustache/Autoloader.php")) {
    // Moodle up to 5.1: mustache.php 2.x, PEAR-style class names.
    require_once("$moodle/lib/mustache/src/Mustache/Autoloader.php");
    Mustache_Autoloader::register();
    $engineclass = 'Mustache_Engine';
    $blocks = Mustache_Engine::PRAGMA_BLOCKS;
} else {
    // Moodle 5.2+: mustache.php 3.x, namespaced (Mustache\ → lib/mustache/src).
    spl_autoload_register(function ($class) use ($moodle) {
        if (strpos($class, 'Mustache\\') === 0) {
            $file = "$moodle/lib/mustache/src/" . str_replace('\\', '/', substr($class, 9)) . '.php';
            if (file_exists($file)) {
                require_once($file);
            }
        }
    });
    $engineclass = 'Mustache\\Engine';
    $blocks = constant('Mustache\\Engine::PRAGMA_BLOCKS');
}

/** The file of a template name (`component/name`), as core_component and the theme would find it. */
function mpc_template_file(string $name, array $request): ?string {
    if (strpos($name, '/') === false) {
        return null;
    }
    [$component, $template] = explode('/', $name, 2);
    if (!empty($request['theme'])) {
        $override = $request['theme'] . "/templates/$component/$template.mustache";
        if (is_file($override)) {
            return $override;
        }
    }
    $dir = $request['components'][$component] ?? null;
    if ($dir === null && preg_match('/^([a-z]+)_([a-z][a-z0-9_]*)$/', $component, $m)) {
        $typedir = $request['types'][$m[1]] ?? null;
        $dir = $typedir === null ? null : "$typedir/{$m[2]}";
    }
    if ($dir === null) {
        return null;
    }
    $file = "$dir/templates/$template.mustache";
    return is_file($file) ? $file : null;
}

if (!interface_exists('Mustache_Loader')) {
    class_alias('Mustache\\Loader', 'Mustache_Loader');
}

/** Partials by component, as Moodle's loader finds them. */
class mpc_partials_loader implements Mustache_Loader {
    private $request;
    public function __construct(array $request) {
        $this->request = $request;
    }
    public function load($name) {
        $file = mpc_template_file($name, $this->request);
        if ($file === null) {
            throw new RuntimeException("Unknown partial \"$name\": no such template in the Moodle tree or the plugin");
        }
        return file_get_contents($file);
    }
}
$loader = new mpc_partials_loader($request);

$mustache = new $engineclass([
    'pragmas' => [$blocks],
    'escape' => function ($value) {
        return htmlspecialchars((string) $value, ENT_QUOTES | ENT_SUBSTITUTE, 'UTF-8');
    },
    'helpers' => [
        // As mustache_lint emulates them: what they give is well-formed HTML or text.
        'str' => function ($text) { return '((' . urlencode($text) . '))'; },
        'cleanstr' => function ($text) { return '((' . urlencode($text) . '))'; },
        'pix' => function ($text) { return "<img src='pix-placeholder.png' alt='" . htmlspecialchars($text, ENT_QUOTES) . "'>"; },
        'uniqid' => function () { return 'would-be-a-uniqid'; },
        'quote' => function ($text, $helper) {
            $content = $helper->render(trim($text));
            $content = str_replace('"', '\\"', $content);
            $content = preg_replace('([{}]{2,3})', '{{=<% %>=}}${0}<%={{ }}=%>', $content);
            return '"' . $content . '"';
        },
        'shortentext' => function ($text, $helper) {
            $parts = explode(',', $text, 2);
            return $helper->render(trim($parts[1] ?? $parts[0]));
        },
        'userdate' => function ($text, $helper) { return 'Monday, 1 January 2024, 10:00 AM'; },
        'js' => function ($text) { return ''; },
    ],
    'partials_loader' => $loader,
]);

/** The example context, or a problem: [context|null, status, message]. mustache_lint's rules. */
function mpc_example(string $content): array {
    $docs = '';
    preg_match_all('/{{!([\s\S]*?)}}/', $content, $sections);
    foreach ($sections[0] as $section) {
        $section = trim($section);
        $pos = strpos($section, '@template');
        if ($pos !== false) {
            $docs = substr($section, $pos, -2);
            break;
        }
    }
    if ($docs === '') {
        return [[], 'no-example', 'Example context missing (@template section not found)'];
    }
    if (!preg_match('/Example context \(json\):([\s\S]*)/', $docs, $matches)) {
        return [[], 'no-example', 'Example context missing'];
    }
    $example = json_decode($matches[1]);
    if ($example === null) {
        return [null, 'bad-example', 'Example context JSON is unparsable: ' . json_last_error_msg()];
    }
    return [$example, 'ok', ''];
}

/** The line in the template where the example block starts, for the findings about it. */
function mpc_example_line(string $content): int {
    $pos = strpos($content, 'Example context (json)');
    if ($pos === false) {
        $pos = strpos($content, '@template');
    }
    return $pos === false ? 1 : substr_count($content, "\n", 0, $pos) + 1;
}

$out = [];
foreach ($request['templates'] as $t) {
    $content = file_get_contents($t['path']);
    [$example, $status, $message] = mpc_example($content);
    $entry = ['file' => $t['file']];
    if ($status === 'bad-example') {
        $out[] = $entry + ['status' => $status, 'message' => $message, 'line' => mpc_example_line($content)];
        continue;
    }
    $ignorehtml = false;
    $ignorefile = dirname($t['path']) . '/.mustachelintignore';
    if (is_file($ignorefile)) {
        foreach (file($ignorefile, FILE_IGNORE_NEW_LINES | FILE_SKIP_EMPTY_LINES) as $pattern) {
            if (strpos($pattern, '#') === 0) {
                continue;
            }
            if (fnmatch(trim($pattern), basename($t['path']))) {
                $ignorehtml = true;
            }
        }
    }
    try {
        $html = $mustache->render($content, $example);
    } catch (Throwable $e) {
        // Mustache's token lines do not count the template's doc comment: no line is given.
        $line = null;
        $out[] = $entry + ['status' => 'render-failed', 'message' => $e->getMessage(), 'line' => $line];
        continue;
    }
    $entry += ['status' => $status, 'html' => $html, 'ignorehtml' => $ignorehtml];
    if ($status === 'no-example') {
        $entry += ['message' => $message, 'line' => 1];
    }
    $out[] = $entry;
}
echo json_encode(['templates' => $out], JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE), "\n";
