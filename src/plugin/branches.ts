/**
 * Moodle branches we know, with the facts the static checks need. Branch numbers are Moodle's own
 * `$branch` (401 = 4.1). `version` is the branch's release `$version` without the point-release
 * decimals: every build of a stable branch stays below version + 100.
 */
export interface BranchInfo {
  branch: number;
  name: string;
  version: number;
  phpMin: string;
  phpMax: string;
}

export const BRANCHES: readonly BranchInfo[] = [
  { branch: 39, name: '3.9', version: 2020061500, phpMin: '7.2', phpMax: '7.4' },
  { branch: 310, name: '3.10', version: 2020110900, phpMin: '7.2', phpMax: '7.4' },
  { branch: 311, name: '3.11', version: 2021051700, phpMin: '7.3', phpMax: '8.0' },
  { branch: 400, name: '4.0', version: 2022041900, phpMin: '7.3', phpMax: '8.0' },
  { branch: 401, name: '4.1', version: 2022112800, phpMin: '7.4', phpMax: '8.1' },
  { branch: 402, name: '4.2', version: 2023042400, phpMin: '8.0', phpMax: '8.2' },
  { branch: 403, name: '4.3', version: 2023100900, phpMin: '8.0', phpMax: '8.2' },
  { branch: 404, name: '4.4', version: 2024042200, phpMin: '8.1', phpMax: '8.3' },
  { branch: 405, name: '4.5', version: 2024100700, phpMin: '8.1', phpMax: '8.3' },
  { branch: 500, name: '5.0', version: 2025041400, phpMin: '8.2', phpMax: '8.4' },
  { branch: 501, name: '5.1', version: 2025100600, phpMin: '8.2', phpMax: '8.4' },
  { branch: 502, name: '5.2', version: 2026042000, phpMin: '8.2', phpMax: '8.4' },
];

export const OLDEST_BRANCH = BRANCHES[0]!;
export const NEWEST_BRANCH = BRANCHES[BRANCHES.length - 1]!;

export function branchInfo(branch: number): BranchInfo | undefined {
  return BRANCHES.find((b) => b.branch === branch);
}

export function branchName(branch: number): string {
  return branchInfo(branch)?.name ?? String(branch);
}

/** A value shaped like a Moodle branch number: 39, 310, 311, 400 ... 502, and future ones. */
export function isBranchShaped(n: number): boolean {
  if (!Number.isInteger(n)) return false;
  if (n >= 20 && n <= 39) return true; // 2.0 .. 3.9
  return n >= 310 && n <= 999 && n % 100 < 20;
}

/** The first known branch whose builds can satisfy `$plugin->requires = version`. */
export function branchForRequires(version: number): BranchInfo | undefined {
  return BRANCHES.find((b) => version < b.version + 100);
}

/** Known branches within [min, max] (inclusive); max may be -1 meaning "no upper bound". */
export function branchesBetween(min: number, max: number): BranchInfo[] {
  return BRANCHES.filter((b) => b.branch >= min && (max === -1 || b.branch <= max));
}
