import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { bundleFixture } from "./bundle.js"
import { startCountingTokenServer } from "./tokenServer.js"


export interface FleetResult {
  /** When each token request reached the endpoint, relative to the first; only while every member ran. */
  readonly requestTimes: ReadonlyArray<number>
  readonly members: ReadonlyArray<{ pid: number; checks: number; invalid: number }>
  readonly failures: ReadonlyArray<string>
}

/**
 * Runs `size` OS processes, each with its own TokenManager over one file store, against a counting
 * token endpoint issuing `lifetimeMs` tokens, for `durationMs`.
 */
export const runFleet = async (options: {
  readonly size: number
  readonly lifetimeMs: number
  readonly durationMs: number
  readonly lock: boolean
}): Promise<FleetResult> => {
  const member = await bundleFixture("fleet-member.mjs")
  const server = await startCountingTokenServer(options.lifetimeMs)
  const storePath = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "toshi-fleet-")), "tokens.json")
  // Members start at different moments (a process takes a second to load here) and all stop at once,
  // so that no request is lost to a member exiting in the middle of a renewal.
  const endAt = Date.now() + 3_000 + options.durationMs
  try {
    const outcomes = await Promise.all(Array.from({ length: options.size }, () =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [member, storePath, server.url, String(endAt), options.lock ? "lock" : "nolock"])
        let stdout = ""
        let stderr = ""
        child.stdout.on("data", (chunk) => (stdout += chunk))
        child.stderr.on("data", (chunk) => (stderr += chunk))
        child.on("close", (code) => resolve({ code, stdout, stderr }))
      })))
    const first = server.requests[0]?.at ?? 0
    return {
      requestTimes: server.requests.filter((r) => r.at < endAt).map((r) => r.at - first),
      members: outcomes.filter((o) => o.code === 0).map((o) => JSON.parse(o.stdout.trim().split("\n").pop()!)),
      failures: outcomes.filter((o) => o.code !== 0).map((o) => o.stderr)
    }
  } finally {
    await server.close()
  }
}

/** Groups request times into renewal windows: requests closer together than `gapMs` are one window. */
export const windows = (times: ReadonlyArray<number>, gapMs: number): Array<number> => {
  const counts: Array<number> = []
  let last = -Infinity
  for (const at of times) {
    if (at - last > gapMs) counts.push(0)
    counts[counts.length - 1]!++
    last = at
  }
  return counts
}
