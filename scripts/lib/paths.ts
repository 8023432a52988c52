/** Where the run's output lives: HARNESS_REPORTS_DIR (relative to the project root) or reports/. */
import { reportsDir } from '../../fixtures/core/config.ts';

export function reportsDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return reportsDir(env);
}
