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
  { branch: 502, name: '5.2', version: 2026042000, phpMin: '8.3', phpMax: '8.4' },
  // 5.3 (LTS, 5 Oct 2026): PHP range from its release notes; no 5.3 tree has been checked here.
  { branch: 503, name: '5.3', version: 2026100500, phpMin: '8.3', phpMax: '8.4' },
];

export const OLDEST_BRANCH = BRANCHES[0]!;
export const NEWEST_BRANCH = BRANCHES[BRANCHES.length - 1]!;

export function branchInfo(branch: number): BranchInfo | undefined {
  return BRANCHES.find((b) => b.branch === branch);
}

export function branchName(branch: number): string {
  return ALL_RELEASES.find((b) => b.branch === branch)?.name ?? String(branch);
}

/** A value shaped like a Moodle branch number: 39, 310, 311, 400 ... 503, and future ones. */
export function isBranchShaped(n: number): boolean {
  if (!Number.isInteger(n)) return false;
  if (n >= 20 && n <= 39) return true; // 2.0 .. 3.9
  return n >= 310 && n <= 999 && n % 100 < 20;
}

/**
 * Release versions of branches older than those we lint for, so that an old `$plugin->requires`
 * still maps to the branch it names (PHP facts are irrelevant there: we never target them).
 */
const HISTORIC: readonly Pick<BranchInfo, 'branch' | 'name' | 'version'>[] = [
  { branch: 20, name: '2.0', version: 2010112400 },
  { branch: 21, name: '2.1', version: 2011070100 },
  { branch: 22, name: '2.2', version: 2011120500 },
  { branch: 23, name: '2.3', version: 2012062500 },
  { branch: 24, name: '2.4', version: 2012120300 },
  { branch: 25, name: '2.5', version: 2013051400 },
  { branch: 26, name: '2.6', version: 2013111800 },
  { branch: 27, name: '2.7', version: 2014051200 },
  { branch: 28, name: '2.8', version: 2014111000 },
  { branch: 29, name: '2.9', version: 2015051100 },
  { branch: 30, name: '3.0', version: 2015111600 },
  { branch: 31, name: '3.1', version: 2016052300 },
  { branch: 32, name: '3.2', version: 2016120500 },
  { branch: 33, name: '3.3', version: 2017051500 },
  { branch: 34, name: '3.4', version: 2017111300 },
  { branch: 35, name: '3.5', version: 2018051700 },
  { branch: 36, name: '3.6', version: 2018120300 },
  { branch: 37, name: '3.7', version: 2019052000 },
  { branch: 38, name: '3.8', version: 2019111800 },
];

const ALL_RELEASES = [...HISTORIC, ...BRANCHES];

/** The first branch whose builds can satisfy `$plugin->requires = version` (2.0 onwards). */
export function branchForRequires(
  version: number,
): Pick<BranchInfo, 'branch' | 'name' | 'version'> | undefined {
  return ALL_RELEASES.find((b) => version < b.version + 100);
}

/** Known branches within [min, max] (inclusive); max may be -1 meaning "no upper bound". */
export function branchesBetween(min: number, max: number): BranchInfo[] {
  return BRANCHES.filter((b) => b.branch >= min && (max === -1 || b.branch <= max));
}
