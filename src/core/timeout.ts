// Timeouts the user gives (`--timeout`, the Action's `timeout` input). A Node timer holds at most
// 2^31-1 ms; a longer delay fires at once, so a generous value would become an instant time-out.

export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The longest timeout a timer can hold, in whole seconds (about 24.8 days). */
export const MAX_TIMEOUT_SECONDS = Math.floor(MAX_TIMER_MS / 1000);

/** What the caller says when a value is refused: the range, in the user's terms. */
export const TIMEOUT_RANGE = `1 to ${MAX_TIMEOUT_SECONDS} seconds (about 24 days)`;

/**
 * Seconds as plain digits (`1e3`, `0x10`, `Infinity`, negatives and an empty value are refused,
 * not read as JavaScript would), from 1 to MAX_TIMEOUT_SECONDS; undefined when refused. The
 * caller words the error with its own flag or input name.
 */
export function timeoutSeconds(raw: string): number | undefined {
  const v = raw.trim();
  if (!/^\d+(\.\d+)?$/.test(v)) return undefined;
  const seconds = Number(v);
  return seconds >= 1 && seconds <= MAX_TIMEOUT_SECONDS ? seconds : undefined;
}
