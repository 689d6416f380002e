// Live progress of `check` on stderr. On a terminal: one line per phase with a spinner, the time so
// far and what Moodle is doing, replaced by the phase's result when it ends. Elsewhere (a pipe, a
// CI log): a plain line when a phase starts and one when it ends, so a job log shows where a slow
// run is. Text from the plugin (details, component names) is neutralised first; our own escapes
// are the only ones written.
import pc from 'picocolors';
import { neutralise } from '../core/log-safety.js';
import type { Progress } from '../pipeline/progress.js';

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface TerminalProgressOptions {
  /** Writes to stderr as it is (no neutralising: this module escapes what it shows). */
  write: (s: string) => void;
  /** stderr is a terminal: redraw one line in place. */
  tty: boolean;
  color: boolean;
  /** Terminal width, to keep the spinner line on one row. */
  columns?: number;
  /** Redraws per second on a terminal (tests pass 0 to draw only on events). */
  fps?: number;
}

const secs = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

export function terminalProgress(o: TerminalProgressOptions): Progress & { stop(): void } {
  const c = pc.createColors(o.color);
  let current: { name: string; started: number; text: string } | undefined;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;
  const width = Math.max(20, (o.columns ?? 100) - 1);

  const clear = (): void => {
    if (o.tty && current) o.write('\r\u001b[2K');
  };
  const draw = (): void => {
    if (!o.tty || !current) return;
    const spin = FRAMES[frame++ % FRAMES.length] ?? '';
    const line = `${spin} ${current.name} ${secs(performance.now() - current.started)}${current.text ? ` — ${current.text}` : ''}`;
    o.write(`\r\u001b[2K${c.cyan(line.length > width ? `${line.slice(0, width - 1)}…` : line)}`);
  };
  const stopTimer = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  return {
    note(line) {
      clear();
      o.write(`${neutralise(line)}\n`);
      draw();
    },
    phaseStarted(name) {
      current = { name, started: performance.now(), text: '' };
      if (!o.tty) {
        o.write(`${c.dim('▸')} ${name} …\n`);
        return;
      }
      draw();
      const fps = o.fps ?? 10;
      if (fps > 0) {
        timer = setInterval(draw, 1000 / fps);
        timer.unref();
      }
    },
    phaseProgress(name, text) {
      if (current?.name !== name) return;
      current.text = neutralise(text).replace(/\n/g, ' ');
      draw();
    },
    phaseEnded(phase) {
      clear();
      stopTimer();
      current = undefined;
      const mark =
        phase.status === 'passed'
          ? c.green('✔')
          : phase.status === 'failed'
            ? c.red('✖')
            : c.dim('-');
      const time = phase.status === 'skipped' ? '' : ` ${secs(phase.durationMs)}`;
      const detail = phase.detail
        ? c.dim(` — ${neutralise(phase.detail).replace(/\n/g, ' ')}`)
        : '';
      o.write(`${mark} ${phase.name} ${phase.status}${time}${detail}\n`);
    },
    stop() {
      clear();
      stopTimer();
      current = undefined;
    },
  };
}
