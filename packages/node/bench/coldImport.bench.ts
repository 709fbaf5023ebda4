/**
 * `pnpm bench`: what importing toshi costs a process that has loaded nothing yet, beside Effect
 * itself and the libraries people compare toshi with. Each sample is a fresh `node` that imports
 * one module and reports how long the `import()` took; the cases take turns, round after round, so
 * that a machine growing busier or quieter during the run affects each alike. toshi's modules are
 * the built `dist/*.js` files (run `tsc -b` first), as an application's `import` reaches them.
 *
 * Goals: `@toshi/node/TokenClient` in at most 2x google-auth-library, `@toshi/providers/OAuth2` in
 * at most 1.3x `effect/Effect` alone. The facade's first `token()` (a saved token, no network) is
 * shown beside its import, so that a lazy import cannot hide where the cost went.
 * Figures are printed, never asserted: timings belong here, not in tests.
 *
 * Run: `pnpm --filter @toshi/node bench`.
 */
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const rounds = 15
const warmups = 2

const packages = fileURLToPath(new URL("../../", import.meta.url))
const nodePackage = path.join(packages, "node")
const providersPackage = path.join(packages, "providers")
const dist = (file: string) => {
  const full = path.join(packages, file)
  if (!fs.existsSync(full)) {
    console.error(`${full} is missing: run \`tsc -b\` first`)
    process.exit(1)
  }
  return pathToFileURL(full).href
}

// A saved login, as the Python tool and `toshi login` leave it: the facade's first token() reads it.
const home = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-cold-"))
const credentials = path.join(home, "credentials")
const accessToken = `bench-${"a".repeat(40)}`
fs.writeFileSync(
  credentials,
  JSON.stringify({ access_token: accessToken, token_type: "Bearer", expires_at: Math.floor(Date.now() / 1000) + 3600 }),
  { mode: 0o600 }
)

interface Case {
  readonly name: string
  /** Where bare specifiers resolve from: the package that depends on what is imported. */
  readonly cwd: string
  /** An ES module that prints `{"ms": …}` (and any more figures) as its last line. */
  readonly script: string
}

const importing = (name: string, specifier: string, cwd = nodePackage): Case => ({
  name,
  cwd,
  script: `const start = performance.now()
await import(${JSON.stringify(specifier)})
console.log(JSON.stringify({ ms: performance.now() - start }))`
})

const tokenClient = dist("node/dist/TokenClient.js")
const cases: ReadonlyArray<Case> = [
  { name: "node -e 0", cwd: nodePackage, script: `console.log(JSON.stringify({ ms: 0 }))` },
  importing("effect (barrel)", "effect"),
  importing("effect/Effect", "effect/Effect"),
  importing("effect/Schema", "effect/Schema"),
  importing("google-auth-library", "google-auth-library"),
  importing("openid-client", "openid-client", providersPackage),
  importing("@azure/msal-node", "@azure/msal-node"),
  importing("@toshi/providers/OAuth2", dist("providers/dist/OAuth2.js")),
  importing("@toshi/providers (barrel)", dist("providers/dist/index.js")),
  importing("@toshi/node (barrel)", dist("node/dist/index.js")),
  {
    name: "@toshi/node/TokenClient",
    cwd: nodePackage,
    script: `const start = performance.now()
const { createTokenClient } = await import(${JSON.stringify(tokenClient)})
const imported = performance.now()
const client = createTokenClient({
  provider: { type: "clientCredentials", tokenEndpoint: "http://127.0.0.1:9/token", clientId: "bench", clientSecret: "bench" },
  store: { type: "credentials", path: ${JSON.stringify(credentials)} },
  backgroundRefresh: false
})
const token = await client.token()
const first = performance.now()
await client.close()
if (token !== ${JSON.stringify(accessToken)}) throw new Error("the saved token was not the one handed out")
console.log(JSON.stringify({ ms: imported - start, firstToken: first - start }))`
  }
]

interface Sample {
  readonly ms: number
  readonly firstToken?: number
  readonly wall: number
}

const sample = ({ cwd, script }: Case): Sample => {
  const start = performance.now()
  const stdout = execFileSync(process.execPath, ["--input-type=module", "-e", script], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }
  })
  const wall = performance.now() - start
  return { ...JSON.parse(stdout.trim().split("\n").at(-1)!), wall }
}

const samples = cases.map((): Array<Sample> => [])
try {
  for (let round = 0; round < warmups + rounds; round++) {
    cases.forEach((c, index) => {
      const s = sample(c)
      if (round >= warmups) samples[index]!.push(s)
    })
  }
} finally {
  fs.rmSync(home, { recursive: true, force: true })
}

interface Summary {
  readonly median: number
  readonly min: number
  readonly max: number
}

const summary = (values: ReadonlyArray<number>): Summary => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return {
    median: sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2,
    min: sorted[0]!,
    max: sorted.at(-1)!
  }
}

const figures = new Map(cases.map((c, index) => [c.name, {
  importMs: summary(samples[index]!.map((s) => s.ms)),
  wall: summary(samples[index]!.map((s) => s.wall)),
  firstToken: samples[index]![0]?.firstToken === undefined ? undefined : summary(samples[index]!.map((s) => s.firstToken!))
}]))
const of = (name: string) => figures.get(name)!

/** The median of the ratios round by round: each pair of samples ran side by side. */
const pairedRatio = (a: string, b: string, pick: (s: Sample) => number = (s) => s.ms) => {
  const ia = cases.findIndex((c) => c.name === a)
  const ib = cases.findIndex((c) => c.name === b)
  return summary(samples[ia]!.map((s, round) => pick(s) / pick(samples[ib]![round]!))).median
}

const ms = (value: number) => value.toFixed(0).padStart(5)
const range = ({ max, median, min }: Summary) => `${ms(median)} ms ${ms(min)} ${ms(max)}`

console.log(`toshi cold-import benchmark: ${rounds} interleaved rounds after ${warmups} warm-ups, a fresh node per sample (node ${process.version}, ${os.cpus().length} cpus, load ${os.loadavg()[0]!.toFixed(1)})`)
console.log("")
console.log("                                    import(): median   min   max    process wall: median   min   max")
for (const c of cases) {
  const { importMs, wall } = of(c.name)
  console.log(`  ${c.name.padEnd(32)} ${c.name === "node -e 0" ? "          -            " : range(importMs)}    ${range(wall)}`)
}
const first = of("@toshi/node/TokenClient").firstToken!
console.log(`  ${"  + first token() (saved login)".padEnd(32)} ${range(first)}`)
console.log("")

const goal = (label: string, a: string, b: string, limit: number) => {
  const ratio = of(a).importMs.median / of(b).importMs.median
  console.log(
    `${label}: ${ratio.toFixed(2)}x (paired ${pairedRatio(a, b).toFixed(2)}x; goal <= ${limit}x): ${ratio <= limit ? "met" : "NOT met"}`
  )
}
goal("@toshi/node/TokenClient / google-auth-library", "@toshi/node/TokenClient", "google-auth-library", 2)
goal("@toshi/providers/OAuth2 / effect/Effect", "@toshi/providers/OAuth2", "effect/Effect", 1.3)
console.log(
  `@toshi/providers/OAuth2 / effect/Schema: ${(of("@toshi/providers/OAuth2").importMs.median / of("effect/Schema").importMs.median).toFixed(2)}x (paired ${
    pairedRatio("@toshi/providers/OAuth2", "effect/Schema").toFixed(2)
  }x; shown, no goal: core's TokenSet is a Schema.Class, so effect/Schema is OAuth2's floor)`
)
console.log(
  `@toshi/node/TokenClient import + first token() / google-auth-library import: ${
    (first.median / of("google-auth-library").importMs.median).toFixed(2)
  }x (shown, no goal: the engine loads on the first call)`
)
