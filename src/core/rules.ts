// What every rule is, whatever reports it: the catalogue, the docs pages and SARIF's rule metadata
// are made from these. Lives at the bottom so every layer can declare its rules.
import type { Severity } from './finding.js';

/** A rule's documentation; the docs pages and SARIF rule metadata are generated from it. */
export interface RuleMeta {
  /** Stable `family/name`. Never renamed once released. */
  id: string;
  severity: Severity;
  /** One line, shown as the annotation title and SARIF short description. */
  title: string;
  /** Why it matters: what Moodle or the Plugins directory does when it is broken. */
  why: string;
  /** How to fix it. */
  fix: string;
}
