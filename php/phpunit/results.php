<?php
// moodle-plugin-check's PHPUnit results collector, loaded by the phpunit.xml it writes: one JSON
// event per test (start, then end with its outcome, message, diff, stack frames and assertions),
// sent to moodle-plugin-check through post_message_to_js() (php-wasm), or appended to the file named
// by MPC_PHPUNIT_EVENTS (a native run of the bench). The start of a test doubles as a heartbeat:
// a test that never ends is stopped at the time limit and named.
// PHPUnit 9 (Moodle 4.1-4.5) loads mpc_phpunit_listener (a TestListener); PHPUnit 10+ (Moodle 5.0+)
// loads mpc_phpunit_extension (an Extension with event subscribers).

/** Sends one event. */
function mpc_phpunit_emit(array $event): void {
    static $file = null;
    $json = json_encode($event, JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR);
    if (function_exists('post_message_to_js')) {
        post_message_to_js('mpc:phpunit:' . $json);
        return;
    }
    $file ??= getenv('MPC_PHPUNIT_EVENTS') ?: '';
    if ($file !== '') {
        file_put_contents($file, $json . "\n", FILE_APPEND);
    }
}

/** Text cut to a bound (messages and diffs can be megabytes). */
function mpc_phpunit_cut(string $s, int $max = 4000): string {
    return strlen($s) > $max ? substr($s, 0, $max) . "\n…(" . (strlen($s) - $max) . ' more bytes)' : $s;
}

/** Whether a frame is PHPUnit's, its packages' or ours (left out, as PHPUnit's own filter does). */
function mpc_phpunit_internal(string $file): bool {
    return str_contains($file, '/vendor/') || str_starts_with($file, '/mpc/') || str_starts_with($file, '/mpc-run/');
}

/** Frames of a throwable, its own place first, then its trace, chained ones after. */
function mpc_phpunit_frames(Throwable $t): array {
    $frames = [];
    for ($e = $t, $depth = 0; $e !== null && $depth < 3; $e = $e->getPrevious(), $depth++) {
        $all = [['file' => $e->getFile(), 'line' => $e->getLine()]];
        foreach ($e->getTrace() as $f) {
            if (isset($f['file'], $f['line'])) {
                $all[] = ['file' => $f['file'], 'line' => $f['line']];
            }
        }
        foreach ($all as $f) {
            if (!mpc_phpunit_internal($f['file'])) {
                $frames[] = $f;
            }
        }
    }
    return array_slice($frames, 0, 40);
}

/** Frames from PHPUnit 10+'s "file:line" stack trace text. */
function mpc_phpunit_frames_from_text(string $trace): array {
    $frames = [];
    foreach (explode("\n", $trace) as $line) {
        if (preg_match('/^(.+):(\d+)$/', trim($line), $m) && !mpc_phpunit_internal($m[1])) {
            $frames[] = ['file' => $m[1], 'line' => (int) $m[2]];
        }
    }
    return array_slice($frames, 0, 60);
}

/** One test's outcome, built between its start and its end. */
final class mpc_phpunit_test {
    public array $issues = [];
    public float $started;
    public function __construct(public string $id, public array $where) {
        $this->started = microtime(true);
        mpc_phpunit_emit(['e' => 'start', 'id' => $id] + $where);
    }
    public function add(string $status, string $message, array $frames = [], string $diff = '', string $class = ''): void {
        $this->issues[] = array_filter([
            'status' => $status,
            'class' => $class,
            'message' => mpc_phpunit_cut($message),
            'diff' => mpc_phpunit_cut($diff),
            'frames' => $frames,
        ], fn($v) => $v !== '' && $v !== []);
    }
    public function end(int $assertions): void {
        mpc_phpunit_emit([
            'e' => 'end',
            'id' => $this->id,
            'assertions' => $assertions,
            'ms' => (int) round((microtime(true) - $this->started) * 1000),
            'issues' => $this->issues,
        ]);
    }
}

if (class_exists(\PHPUnit\Runner\Version::class) && version_compare(\PHPUnit\Runner\Version::id(), '10', '<')) {
    final class mpc_phpunit_listener implements \PHPUnit\Framework\TestListener {
        use \PHPUnit\Framework\TestListenerDefaultImplementation;
        private ?mpc_phpunit_test $current = null;
        private bool $counted = false;

        public function startTestSuite(\PHPUnit\Framework\TestSuite $suite): void {
            if (!$this->counted) {
                $this->counted = true;
                mpc_phpunit_emit(['e' => 'run', 'tests' => count($suite), 'phpunit' => \PHPUnit\Runner\Version::id()]);
            }
        }
        public function startTest(\PHPUnit\Framework\Test $test): void {
            $where = [];
            if ($test instanceof \PHPUnit\Framework\TestCase) {
                $where = ['class' => get_class($test), 'method' => $test->getName(false)];
                try {
                    $m = new ReflectionMethod($test, $test->getName(false));
                    $where += ['file' => $m->getFileName(), 'line' => $m->getStartLine()];
                } catch (Throwable $e) {
                    $where += ['file' => (new ReflectionClass($test))->getFileName()];
                }
            }
            $id = $test instanceof \PHPUnit\Framework\SelfDescribing ? $test->toString() : get_class($test);
            $this->current = new mpc_phpunit_test($id, $where);
        }
        private function record(string $status, Throwable $t): void {
            $diff = '';
            if ($t instanceof \PHPUnit\Framework\ExpectationFailedException && $t->getComparisonFailure()) {
                $diff = $t->getComparisonFailure()->getDiff();
            }
            $message = $t instanceof \PHPUnit\Framework\ExceptionWrapper ? $t->getClassName() . ': ' . $t->getMessage()
                : ($t instanceof \PHPUnit\Framework\AssertionFailedError || $status !== 'error' ? $t->getMessage() : get_class($t) . ': ' . $t->getMessage());
            $this->current?->add($status, $message, mpc_phpunit_frames($t), $diff, get_class($t));
        }
        public function addError(\PHPUnit\Framework\Test $test, Throwable $t, float $time): void {
            $this->record('error', $t);
        }
        public function addWarning(\PHPUnit\Framework\Test $test, \PHPUnit\Framework\Warning $e, float $time): void {
            $this->record('warning', $e);
        }
        public function addFailure(\PHPUnit\Framework\Test $test, \PHPUnit\Framework\AssertionFailedError $e, float $time): void {
            $this->record('failure', $e);
        }
        public function addIncompleteTest(\PHPUnit\Framework\Test $test, Throwable $t, float $time): void {
            $this->record('incomplete', $t);
        }
        public function addRiskyTest(\PHPUnit\Framework\Test $test, Throwable $t, float $time): void {
            $this->record('risky', $t);
        }
        public function addSkippedTest(\PHPUnit\Framework\Test $test, Throwable $t, float $time): void {
            $this->record('skipped', $t);
        }
        public function endTest(\PHPUnit\Framework\Test $test, float $time): void {
            $this->current?->end($test instanceof \PHPUnit\Framework\TestCase ? $test->getNumAssertions() : 0);
            $this->current = null;
        }
    }
} else {
    require_once(__DIR__ . '/results10.php');
}
