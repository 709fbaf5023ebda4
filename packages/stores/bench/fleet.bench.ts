/**
 * `pnpm bench`: 16 OS processes, each with its own TokenManager over one FileTokenStore, renewing
 * 2-second tokens from a counting endpoint on 127.0.0.1: token requests per expiry window with the
 * store's cross-process lock, and with the lock turned off, in one run.
 */
import { runFleet, windows } from "../test/fleet.js"

const describeRun = async (lock: boolean) => {
  const result = await runFleet({ size: 16, lifetimeMs: 2_000, durationMs: 12_000, lock })
  const perWindow = windows(result.requestTimes, 300)
  const total = perWindow.reduce((a, b) => a + b, 0)
  const invalid = result.members.reduce((sum, m) => sum + m.invalid, 0)
  return {
    lock,
    windows: perWindow.length,
    requests: total,
    mean: total / Math.max(perWindow.length, 1),
    max: Math.max(...perWindow),
    invalid,
    failures: result.failures.length
  }
}

const runs = [await describeRun(true), await describeRun(false)]
console.log("toshi stores benchmark: 16 processes, one file store, 2-second tokens, 12 s (node " + process.version + ")")
console.log("")
console.log("                 windows  requests  per window (mean / max)  expired tokens held  failed processes")
for (const run of runs) {
  console.log(
    `  ${run.lock ? "with lock   " : "without lock"}   ${String(run.windows).padStart(5)}  ${String(run.requests).padStart(8)}` +
      `  ${run.mean.toFixed(2).padStart(11)} / ${String(run.max).padEnd(9)}  ${String(run.invalid).padStart(19)}  ${String(run.failures).padStart(16)}`
  )
}
console.log("")
console.log("goal: 1 request per window with the lock")
