// The Action's live progress: each phase is a log group opened when it starts and closed when it
// ends, with its result, its detail and the findings it produced inside. GitHub does not nest
// groups, so notes outside a phase are plain lines.
import type { Progress } from '../pipeline/progress.js';
import { seconds } from '../report/markdown.js';
import { log } from './log.js';
import type { GroupLog } from './ordered-log.js';

/** Progress as log groups on `out` (the job log; a held sink when checks run side by side). */
export function groupProgress(title: string, out: GroupLog = log): Progress & { close(): void } {
  let open = false;
  const close = (): void => {
    if (open) out.endGroup();
    open = false;
  };
  return {
    note(line) {
      out.info(line);
    },
    phaseStarted(name) {
      close();
      out.startGroup(`${title} · phase ${name}`);
      open = true;
    },
    phaseProgress() {
      // The log keeps every line: a line per component would bury the findings.
    },
    phaseEnded(phase, findings) {
      const time = phase.status === 'skipped' ? '' : ` in ${seconds(phase.durationMs)}`;
      const line = `${title} · phase ${phase.name}: ${phase.status}${time}${phase.detail ? ` — ${phase.detail}` : ''}`;
      out.info(line);
      for (const f of findings)
        out.info(
          `${f.severity} ${f.ruleId} ${f.file ?? ''}${f.line ? `:${f.line}` : ''} ${f.message}`,
        );
      close();
    },
    close,
  };
}
