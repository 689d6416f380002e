<?php
// PHPUnit 10+ half of results.php: an Extension whose subscribers feed mpc_phpunit_test.

use PHPUnit\Event;

final class mpc_phpunit_state {
    public ?mpc_phpunit_test $current = null;
    public function start(Event\Code\Test $test): void {
        $where = ['file' => $test->file()];
        if ($test instanceof Event\Code\TestMethod) {
            $where = ['class' => $test->className(), 'method' => $test->methodName(), 'file' => $test->file(), 'line' => $test->line()];
        }
        // "Class::method with data set #0", as PHPUnit 9 and the JUnit log name a test.
        $id = $test instanceof Event\Code\TestMethod ? $test->nameWithClass() : $test->id();
        $this->current = new mpc_phpunit_test($id, $where);
    }
    public function throwable(string $status, Event\Code\Throwable $t, string $diff = ''): void {
        $message = $status === 'error' ? $t->className() . ': ' . $t->message() : $t->message();
        $this->current?->add($status, $message, mpc_phpunit_frames_from_text($t->stackTrace()), $diff, $t->className());
    }
    public function issue(string $status, string $message, ?string $file = null, ?int $line = null): void {
        $this->current?->add($status, $message, $file !== null ? [['file' => $file, 'line' => $line ?? 0]] : []);
    }
}

final class mpc_phpunit_extension implements \PHPUnit\Runner\Extension\Extension {
    public function bootstrap(\PHPUnit\TextUI\Configuration\Configuration $configuration, \PHPUnit\Runner\Extension\Facade $facade, \PHPUnit\Runner\Extension\ParameterCollection $parameters): void {
        $s = new mpc_phpunit_state();
        $facade->registerSubscribers(
            new class implements Event\TestRunner\ExecutionStartedSubscriber {
                public function notify(Event\TestRunner\ExecutionStarted $e): void {
                    mpc_phpunit_emit(['e' => 'run', 'tests' => $e->testSuite()->count(), 'phpunit' => \PHPUnit\Runner\Version::id()]);
                }
            },
            new class($s) implements Event\Test\PreparationStartedSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\PreparationStarted $e): void { $this->s->start($e->test()); }
            },
            new class($s) implements Event\Test\FailedSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\Failed $e): void {
                    $this->s->throwable('failure', $e->throwable(), $e->hasComparisonFailure() ? $e->comparisonFailure()->diff() : '');
                }
            },
            new class($s) implements Event\Test\ErroredSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\Errored $e): void {
                    if ($this->s->current === null) {
                        // An error before the test was prepared (a failing setUpBeforeClass, a data provider).
                        $this->s->start($e->test());
                    }
                    $this->s->throwable('error', $e->throwable());
                }
            },
            new class($s) implements Event\Test\MarkedIncompleteSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\MarkedIncomplete $e): void { $this->s->throwable('incomplete', $e->throwable()); }
            },
            new class($s) implements Event\Test\SkippedSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\Skipped $e): void {
                    if ($this->s->current === null) {
                        $this->s->start($e->test());
                        $this->s->issue('skipped', $e->message());
                        $this->s->current->end(0);
                        $this->s->current = null;
                        return;
                    }
                    $this->s->issue('skipped', $e->message());
                }
            },
            new class($s) implements Event\Test\ConsideredRiskySubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\ConsideredRisky $e): void { $this->s->issue('risky', $e->message()); }
            },
            new class($s) implements Event\Test\WarningTriggeredSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\WarningTriggered $e): void { $this->s->issue('warning', $e->message(), $e->file(), $e->line()); }
            },
            new class($s) implements Event\Test\PhpWarningTriggeredSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\PhpWarningTriggered $e): void { $this->s->issue('warning', $e->message(), $e->file(), $e->line()); }
            },
            new class($s) implements Event\Test\PhpunitWarningTriggeredSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\PhpunitWarningTriggered $e): void { $this->s->issue('warning', $e->message()); }
            },
            new class($s) implements Event\Test\FinishedSubscriber {
                public function __construct(private mpc_phpunit_state $s) {}
                public function notify(Event\Test\Finished $e): void {
                    $this->s->current?->end($e->numberOfAssertionsPerformed());
                    $this->s->current = null;
                }
            },
        );
    }
}
