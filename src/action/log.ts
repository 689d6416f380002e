// The Action's only way to the job log. Everything it prints may carry text from the pull request
// (PHP output, Moodle's messages, file names, finding messages), so each call makes every line
// inert as a workflow command first (src/core/log-safety.ts). Annotation messages and properties
// are escaped by @actions/core as command data; they are neutralised too, for what they display.
import * as core from '@actions/core';
import { neutralise } from '../core/log-safety.js';

const props = (p: core.AnnotationProperties): core.AnnotationProperties =>
  Object.fromEntries(
    Object.entries(p).map(([k, v]) => [k, typeof v === 'string' ? neutralise(v) : v]),
  );

export const log = {
  info(text: string): void {
    core.info(neutralise(text));
  },
  debug(text: string): void {
    core.debug(neutralise(text));
  },
  error(text: string, p: core.AnnotationProperties = {}): void {
    core.error(neutralise(text), props(p));
  },
  warning(text: string, p: core.AnnotationProperties = {}): void {
    core.warning(neutralise(text), props(p));
  },
  notice(text: string, p: core.AnnotationProperties = {}): void {
    core.notice(neutralise(text), props(p));
  },
  setFailed(text: string): void {
    core.setFailed(neutralise(text));
  },
  startGroup(name: string): void {
    core.startGroup(neutralise(name).replace(/\n/g, ' '));
  },
  endGroup(): void {
    core.endGroup();
  },
};
