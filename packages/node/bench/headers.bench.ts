/**
 * A cached token's headers, per call, through toshi's Promise facade and through
 * google-auth-library's `OAuth2Client.getRequestHeaders()` with preset credentials: what code that
 * does not use Effect pays on every request once it has a token.
 *
 * Run: `pnpm --filter @toshi/node bench`.
 */
import { TokenClient } from "@toshi/node"
import { OAuth2Client } from "google-auth-library"

const calls = 200_000
const rounds = 5

const time = async (label: string, f: () => Promise<unknown>) => {
  for (let i = 0; i < 20_000; i++) await f() // warm-up
  const perCall: Array<number> = []
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint()
    for (let i = 0; i < calls; i++) await f()
    perCall.push(Number(process.hrtime.bigint() - started) / calls)
  }
  perCall.sort((a, b) => a - b)
  const median = perCall[Math.floor(rounds / 2)]!
  console.log(`  ${label.padEnd(58)} ${median.toFixed(0).padStart(6)} ns/call  (rounds: ${perCall.map((n) => n.toFixed(0)).join(", ")})`)
  return median
}

const toshi = TokenClient.createTokenClient({
  provider: { type: "external", key: "bench", getToken: () => ({ accessToken: "a".repeat(900), expiresIn: 3600 }) }
})
await toshi.headers()

const google = new OAuth2Client()
google.setCredentials({ access_token: "a".repeat(900), expiry_date: Date.now() + 3600_000, token_type: "Bearer" })
await google.getRequestHeaders()

console.log(`cached headers per call, ${calls} sequential awaited calls x ${rounds} rounds (node ${process.version})`)
const ours = await time("toshi createTokenClient().headers()", () => toshi.headers())
const theirs = await time("google-auth-library OAuth2Client.getRequestHeaders()", () => google.getRequestHeaders())
const floor = await time("floor: await Promise.resolve(cached)", () => Promise.resolve(ours))
console.log(`\ntoshi is ${(theirs / ours).toFixed(1)}x faster than google-auth-library (goal >= 10x): ${theirs / ours >= 10 ? "met" : "NOT met"}`)
console.log(`toshi costs ${(ours / floor).toFixed(2)}x a bare awaited Promise.resolve`)
await toshi.close()
