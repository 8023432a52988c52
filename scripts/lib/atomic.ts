/**
 * Crash-safe file updates. A reader (or a CI cache upload) sees either the old file or the new one, never half:
 * write to a temporary file in the same directory, fsync it, then rename over the target (rename is atomic within
 * one file system on POSIX).
 */
import { closeSync, copyFileSync, existsSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

export function tempPathFor(file: string): string {
  return path.join(path.dirname(file), `.${path.basename(file)}.tmp-${process.pid}-${Date.now()}`);
}

function fsyncFile(file: string): void {
  const fd = openSync(file, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Replace `file` with the temp file `tmp` once its bytes are on disk. */
export function commitTemp(tmp: string, file: string): void {
  fsyncFile(tmp);
  renameSync(tmp, file);
  // make the rename itself durable (directory entry)
  try {
    const dfd = openSync(path.dirname(file), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic
  }
}

/** Copy → append → fsync → rename. The existing lines are never rewritten or truncated. */
export function atomicAppend(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    if (existsSync(file)) copyFileSync(file, tmp);
    const fd = openSync(tmp, 'a');
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    commitTemp(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

export function atomicWrite(file: string, data: string | Uint8Array): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const tmp = tempPathFor(file);
  try {
    const fd = openSync(tmp, 'w');
    try {
      if (typeof data === 'string') writeSync(fd, data);
      else writeSync(fd, data);
    } finally {
      closeSync(fd);
    }
    commitTemp(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Move a bad file out of the way under a dated name next to it; returns the new path. */
export function moveAside(file: string, reason: string): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dest = `${file}.corrupt-${stamp}`;
  renameSync(file, dest);
  process.stderr.write(
    `history: ${file} is corrupt (${reason}); moved it aside to ${dest}. This run starts a new history from here; ` +
      'to recover the old one, fix or delete the bad line in the moved file and move it back.\n',
  );
  return dest;
}
