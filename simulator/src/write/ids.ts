/** Ids of new world objects: the next number after the largest numeric one (world ids are strings). */
export function nextId(ids: Iterable<string | number>, floor = 10000): string {
  let max = floor;
  for (const id of ids) {
    const n = Number(id);
    if (Number.isFinite(n) && n > max) max = n;
  }
  return String(max + 1);
}

/** Jira's timestamp format (`2025-01-06T09:00:00.000+0000`) for now. */
export function jiraNow(): string {
  return new Date().toISOString().replace('Z', '+0000');
}
