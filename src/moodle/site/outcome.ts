// What a PHP run of Moodle printed, boiled down for a message.

/** The lines of an output that say what went wrong: errors first, else the last lines. */
export function failureSummary(stdout: string, stderr: string): string {
  const lines = `${stderr}\n${stdout}`
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== '' && !/^(\* line |!! Stack trace|!!$)/.test(l));
  const errors = lines.filter((l) =>
    /fatal error|out of memory|exception|error code|must be|is required|failed/i.test(l),
  );
  return (
    (errors.length > 0 ? errors.slice(0, 3) : lines.slice(-3)).join(' ') || 'no output'
  ).slice(0, 600);
}
