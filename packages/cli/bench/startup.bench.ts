/**
 * `pnpm bench` (after `node scripts/bundle.mjs`): how long the published `toshi` takes to start,
 * against a bare `node -e 0`, in one run. The goals: `toshi token --raw` with a valid cached token
 * in at most 2.5x the time of `node -e 0`, and `toshi --version` (answered by the entry, like the
 * token) in at most 2x. `toshi --help` (the full CLI) is shown for reference.
 * Figures are printed, never asserted: timings belong here, not in tests.
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const bin = fileURLToPath(new URL("../dist/toshi.mjs", import.meta.url))
if (!fs.existsSync(bin)) {
  console.error(`${bin} is missing: run \`node scripts/bundle.mjs\` first`)
  process.exit(1)
}

const runs = 20
const warmups = 3
const goal = 2.5
const versionGoal = 2

// A HOME with a valid saved login, as `toshi login` leaves it.
const home = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-bench-"))
const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const expiresAt = Math.floor(Date.now() / 1000) + 3600
const accessToken = `${base64url({ alg: "RS256", kid: "bench" })}.${base64url({ sub: "bench", exp: expiresAt })}.c2lnbmF0dXJl`
fs.mkdirSync(path.join(home, ".toshi"), { mode: 0o700 })
fs.writeFileSync(
  path.join(home, ".toshi", "credentials"),
  JSON.stringify({ access_token: accessToken, refresh_token: "refresh", token_type: "Bearer", expires_at: expiresAt }),
  { mode: 0o600 }
)
const env = { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home }

interface Timing {
  readonly median: number
  readonly p90: number
}

interface Case {
  readonly args: ReadonlyArray<string>
  readonly check: (stdout: string) => boolean
}

/**
 * Wall-clock milliseconds of `node args` for each case, median and p90 after the warm-ups. The cases
 * take turns, so that a machine growing busier or quieter during the run affects each alike.
 */
const measure = (cases: ReadonlyArray<Case>): Array<Timing> => {
  const times = cases.map((): Array<number> => [])
  for (let i = 0; i < warmups + runs; i++) {
    cases.forEach(({ args, check }, index) => {
      const start = performance.now()
      const result = spawnSync(process.execPath, args, { env, encoding: "utf8" })
      const elapsed = performance.now() - start
      if (result.status !== 0 || !check(result.stdout)) {
        throw new Error(`node ${args.join(" ")} failed (${result.status}): ${result.stdout}${result.stderr}`)
      }
      if (i >= warmups) times[index]!.push(elapsed)
    })
  }
  return times.map((all) => {
    const sorted = [...all].sort((a, b) => a - b)
    const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!
    return { median: at(0.5), p90: at(0.9) }
  })
}

try {
  const [node, token, version, full] = measure([
    { args: ["-e", "0"], check: () => true },
    { args: [bin, "token", "--raw"], check: (stdout) => stdout === `${accessToken}\n` },
    { args: [bin, "--version"], check: (stdout) => stdout.trim() !== "" },
    { args: [bin, "--help"], check: (stdout) => stdout.trim() !== "" }
  ]) as [Timing, Timing, Timing, Timing]
  const ratio = token.median / node.median
  const size = fs.statSync(bin).size

  console.log(`toshi start-up benchmark: ${runs} runs each after ${warmups} warm-ups (node ${process.version}, ${os.cpus()[0]?.model ?? "cpu"})`)
  console.log(`dist/toshi.mjs: ${(size / 1024).toFixed(0)} KiB`)
  console.log("")
  console.log("                                            median       p90")
  const row = (name: string, { median, p90 }: Timing) =>
    console.log(`  ${name.padEnd(40)} ${median.toFixed(1).padStart(6)} ms ${p90.toFixed(1).padStart(6)} ms`)
  row("node -e 0", node)
  row("toshi token --raw (cached, fast path)", token)
  row("toshi --version (entry, plain code)", version)
  row("toshi --help (full CLI)", full)
  console.log("")
  console.log(
    `toshi token --raw / node -e 0 = ${ratio.toFixed(2)}x (goal <= ${goal}x): ${ratio <= goal ? "met" : "NOT met"}; ` +
      `the full CLI is ${(full.median / node.median).toFixed(2)}x`
  )
  const versionRatio = version.median / node.median
  console.log(
    `toshi --version / node -e 0 = ${versionRatio.toFixed(2)}x (goal <= ${versionGoal}x): ${versionRatio <= versionGoal ? "met" : "NOT met"}`
  )
} finally {
  fs.rmSync(home, { recursive: true, force: true })
}
