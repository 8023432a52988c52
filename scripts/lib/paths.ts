/** Where the run's output lives: HARNESS_REPORTS_DIR (relative to the project root) or reports/. */
import path from 'node:path';
import { ROOT } from '../../fixtures/core/config.ts';

export function reportsDirFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  return path.resolve(ROOT, env.HARNESS_REPORTS_DIR ?? 'reports');
}
