/**
 * A cheap pre-filter for the "does this file parse on an older PHP?" check: re-parsing every file
 * a second time doubles the cost of the PHP family, yet only files that use syntax newer than the
 * oldest PHP can fail. Each pattern over-approximates a construct php-parser rejects below `since`;
 * a file with no match is not re-parsed. A pattern that misses only hides a finding, never adds one.
 * Only constructs php-parser 3.x actually gates by version are listed (it does not gate readonly properties,
 * never, standalone null/false types, numeric separators or explicit octals).
 */
interface SyntaxFeature {
  since: number;
  pattern: RegExp;
}

const FEATURES: readonly SyntaxFeature[] = [
  // 7.3: trailing comma in calls.
  { since: 7.3, pattern: /,\s*\)/ },
  // 7.4: arrow functions, ??=, array spread, typed properties.
  { since: 7.4, pattern: /\bfn\s*\(|\?\?=|[[,]\s*\.\.\./ },
  { since: 7.4, pattern: /\b(?:public|protected|private|var|static|readonly)\s+\??[\\\w|]+\s+\$/ },
  // 8.0: match, nullsafe, named arguments, throw expressions, catch without variable, trailing comma in parameters.
  {
    since: 8.0,
    pattern: /\bmatch\s*\(|\?->|[(,]\s*[A-Za-z_]\w*\s*:(?!:)|\bthrow\b|\bcatch\s*\([^$)]*\)|,\s*\)/,
  },
  // 8.1: enums, readonly (promoted parameters), first-class callables, intersection types.
  {
    since: 8.1,
    pattern:
      /\benum\b|\breadonly\b|\(\s*\.\.\.\s*\)|[A-Za-z_\\][\w\\]*\s*&\s*[A-Za-z_\\][\w\\]*\s+\$/,
  },
  // 8.2: DNF types.
  { since: 8.2, pattern: /\(\s*[\\\w]+\s*&/ },
  // 8.3: typed class constants.
  { since: 8.3, pattern: /\bconst\s+[\\\w?|]+\s+\w+\s*=/ },
  // 8.4: property hooks, asymmetric visibility, `new X()->m()` without parentheses.
  {
    since: 8.4,
    pattern: /\((?:set)\)|\{\s*(?:get|set)\b|\bnew\s+[\\\w]+\s*\([^()]*\)\s*(?:->|::)/,
  },
];

/** Whether `code` may use syntax newer than `min` (up to `max`), per the patterns above. */
export function mayNeedNewerPhp(code: string, min: string, max: string): boolean {
  const lo = Number(min);
  const hi = Number(max);
  return FEATURES.some((f) => f.since > lo && f.since <= hi && f.pattern.test(code));
}
