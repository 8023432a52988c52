/**
 * Crash-safe file updates for the scripts: the harness's one atomic writer lives in fixtures/core/atomic.ts (temp file
 * in the same folder, fsync, rename); this module hands it on and adds the history's moved-aside message.
 */
import { moveAside as moveAsideFile } from '../../fixtures/core/atomic.ts';

export { atomicAppend, atomicWrite, commitTemp, tempPathFor } from '../../fixtures/core/atomic.ts';

/** Move a bad file out of the way under a dated name next to it, saying so on stderr; returns the new path. */
export function moveAside(file: string, reason: string): string {
  const dest = moveAsideFile(file);
  process.stderr.write(
    `history: ${file} is corrupt (${reason}); moved it aside to ${dest}. This run starts a new history from here; ` +
      'to recover the old one, fix or delete the bad line in the moved file and move it back.\n',
  );
  return dest;
}
