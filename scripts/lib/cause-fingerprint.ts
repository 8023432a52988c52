/**
 * How the Allure category of a cause finds its tests. Allure's category matcher sees only a test's status, labels and
 * message (core-api CategoryMatchingData: no name, no id), so scripts/report.ts writes, per cause, the fingerprints of
 * its tests from those three, and scripts/allurerc.ts matches on the same fingerprint. No imports: the allure CLI
 * loads this file through its config.
 */

/** One Allure category per cause: written by scripts/report.ts, read by scripts/allurerc.ts (HARNESS_ALLURE_CAUSES). */
export interface CausesFile {
  causes: Array<{ id: string; name: string; remediation: string }>;
  /** causeFingerprint of a failing test → cause id */
  byFingerprint: Record<string, string>;
}

export function causeFingerprint(status: string, labels: ReadonlyArray<{ name: string; value?: string }>, message?: string): string {
  const l = labels
    .filter((x) => !x.name.startsWith('_')) // internal labels (_fallbackTestCaseId) are dropped when Allure reads results
    .map((x) => `${x.name}=${x.value ?? ''}`)
    .sort()
    .join('\n');
  return `${status}\u0001${l}\u0001${(message ?? '').slice(0, 500)}`;
}
