/**
 * Burst limit: more than org.mcp.burstLimitPerSecond tool calls within one second for one credential → HTTP 429 with
 * Retry-After (atlassian-mcp.md §5: 429s on bursts of ~20 parallel API-token calls; no published numbers, so the
 * limit is a switch, 0 = off). Sliding one-second window per credential hash.
 */
const windows = new Map<string, number[]>();

/** Record one call; returns the seconds to wait when it is over the limit, else 0. */
export function takeCall(key: string, limitPerSecond: number, now = Date.now()): number {
  if (limitPerSecond <= 0) return 0;
  const recent = (windows.get(key) ?? []).filter((t) => now - t < 1000);
  if (recent.length >= limitPerSecond) {
    windows.set(key, recent);
    return Math.max(1, Math.ceil((1000 - (now - recent[0]!)) / 1000));
  }
  recent.push(now);
  windows.set(key, recent);
  return 0;
}

export function clearRateLimits(): void {
  windows.clear();
}
