// What a run tells the person waiting for it, as it happens: notes, each phase as it starts and
// ends, and what Moodle is doing inside a long phase. The CLI draws it on the terminal (or prints
// plain lines), the Action opens and closes a log group per phase; tests pass NO_PROGRESS.
import type { Finding } from '../core/finding.js';
import { renderInputs, renderInputsDeep, type InputSpelling } from '../core/inputs.js';
import type { PhaseResult } from '../report/model.js';

export interface Progress {
  /** A note worth a line (which Moodle was chosen, what was skipped and why). */
  note(line: string): void;
  phaseStarted(name: string): void;
  /** What a running phase is doing now (e.g. Moodle installing component 120 of 410). */
  phaseProgress(name: string, text: string): void;
  /** A phase ended: its result and the findings it produced (after the user's config). */
  phaseEnded(phase: Readonly<PhaseResult>, findings: readonly Finding[]): void;
}

export const NO_PROGRESS: Progress = {
  note: () => undefined,
  phaseStarted: () => undefined,
  phaseProgress: () => undefined,
  phaseEnded: () => undefined,
};

/** A plain `log(line)` callback as a Progress: the notes only. */
export function notesTo(log: (line: string) => void): Progress {
  return { ...NO_PROGRESS, note: log };
}

/** A Progress whose text names inputs the way one front end spells them. */
export function spelledProgress(progress: Progress, spell: InputSpelling): Progress {
  return {
    note: (line) => {
      progress.note(renderInputs(line, spell));
    },
    phaseStarted: (name) => {
      progress.phaseStarted(name);
    },
    phaseProgress: (name, text) => {
      progress.phaseProgress(name, renderInputs(text, spell));
    },
    phaseEnded: (phase, findings) => {
      progress.phaseEnded(renderInputsDeep(phase, spell), renderInputsDeep(findings, spell));
    },
  };
}
