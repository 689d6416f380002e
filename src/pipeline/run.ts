// The run recorder: owns the phases, the findings and the user's config filter (applied here,
// once, to every finding of every phase), times each phase and tells Progress as it goes.
import { compareFindings, type Finding } from '../core/finding.js';
import { pathFilter, ruleFilter, type PluginConfig } from '../config/plugin-config.js';
import type { PhaseResult } from '../report/model.js';
import type { Progress } from './progress.js';

export class CheckRun {
  readonly phases: PhaseResult[] = [];
  private readonly kept: Finding[] = [];
  private current: Finding[] | undefined;
  private enabled: (ruleId: string) => boolean = () => true;
  private ignored: (file: string) => boolean = () => false;

  constructor(readonly progress: Progress) {}

  /** From the detect phase on, findings the plugin's config switches off or ignores are dropped. */
  useConfig(config: PluginConfig): void {
    this.enabled = ruleFilter(config);
    this.ignored = pathFilter(config);
  }

  /** Findings of the running phase; the config decides which are kept (returned). */
  add(found: readonly Finding[]): Finding[] {
    const kept = found.filter(
      (f) => this.enabled(f.ruleId) && !(f.file !== undefined && this.ignored(f.file)),
    );
    this.kept.push(...kept);
    this.current?.push(...kept);
    return kept;
  }

  /**
   * Runs one phase: listed, timed, marked failed (with the error as its detail) when it throws,
   * and reported to Progress when it starts and ends. `fn` refines status and detail.
   */
  async phase<T>(name: string, fn: (phase: PhaseResult) => T | Promise<T>): Promise<T> {
    const phase: PhaseResult = { name, status: 'passed', durationMs: 0 };
    this.phases.push(phase);
    const mine: Finding[] = [];
    this.current = mine;
    this.progress.phaseStarted(name);
    const start = performance.now();
    try {
      return await fn(phase);
    } catch (e) {
      phase.status = 'failed';
      phase.detail = (e as Error).message;
      throw e;
    } finally {
      phase.durationMs = Math.round(performance.now() - start);
      this.current = undefined;
      this.progress.phaseEnded(phase, mine);
    }
  }

  /** A phase that does not run for this check, with the reason. */
  skip(name: string, detail: string): void {
    const phase: PhaseResult = { name, status: 'skipped', durationMs: 0, detail };
    this.phases.push(phase);
    this.progress.phaseEnded(phase, []);
  }

  /** Every kept finding, in report order. */
  findings(): Finding[] {
    return [...this.kept].sort(compareFindings);
  }
}
