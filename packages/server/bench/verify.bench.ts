/**
 * JWT verifications per second, RS256 and ES256, in one run:
 * - raw: `crypto.verify` of the signature alone (the floor: what any verifier must pay);
 * - minimal verifier: the token's text in, its claims out, and no check at all (the floor of any
 *   verifier that returns claims: it must also build the signing input, decode the signature and
 *   parse the payload);
 * - raw in Effect.sync: raw again, one step of a running fiber per check (the floor of any Effect
 *   API: the run loop's own cost right after a signature check);
 * - toshi: `JwtVerifier.verify` inside a running fiber (every check, no cache);
 * - toshi (verifyRequest): the Promise facade, one `await` per request;
 * - aws-jwt-verify: `CognitoJwtVerifier.verifySync`, its JWKS loaded beforehand;
 * - jose: `jwtVerify` with a local JWKS (WebCrypto);
 * - toshi cached: the same token again, with the verified-token cache on, both as the same string
 *   object and as a new string per request (what a server really gets: a new header string each
 *   time, which must be hashed again).
 *
 * Every library checks the same Cognito-shaped access token (iss, exp, token_use, client_id).
 * Each contender is timed right after raw in every round, and its ratio to raw is taken within that
 * pair (median over the rounds), so that a busy or drifting machine affects both sides alike. Many
 * short rounds rather than a few long ones: on a shared VM the median of more pairs is steadier.
 *
 * Run: `npx tsx packages/server/bench/verify.bench.ts` (from the workspace root).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { CognitoJwtVerifier } from "aws-jwt-verify"
import * as Crypto from "node:crypto"
import { createServer } from "node:http"
import type { AddressInfo } from "node:net"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"
import * as jose from "jose"
import { syncPath } from "../src/internal/jwtVerifier.js"
import { JwtVerifier, VerifyRequest } from "../src/index.js"

const ROUND_MS = 100
const ROUNDS = 15
const REGION = "ap-southeast-2"
const POOL = `${REGION}_toshiBench`
const ISSUER = `https://cognito-idp.${REGION}.amazonaws.com/${POOL}`
const CLIENT = "bench-client"

type Alg = "RS256" | "ES256"

interface Fixture {
  readonly alg: Alg
  readonly token: string
  readonly jwk: jose.JWK
  readonly raw: () => boolean
  /** The minimal verifier: signing input and signature from the text, `crypto.verify`, the payload parsed. */
  readonly minimal: () => boolean
}

const fixture = async (alg: Alg): Promise<Fixture> => {
  const { privateKey, publicKey } = alg === "RS256"
    ? Crypto.generateKeyPairSync("rsa", { modulusLength: 2048 })
    : Crypto.generateKeyPairSync("ec", { namedCurve: "P-256" })
  const kid = `bench-${alg}`
  const jwk = { ...publicKey.export({ format: "jwk" }), kid, alg, use: "sig" } as jose.JWK
  const now = Math.floor(Date.now() / 1000)
  // The shape of a Cognito user access token, about 900 characters signed.
  const token = await new jose.SignJWT({
    sub: Crypto.randomUUID(),
    "cognito:groups": ["scientists"],
    iss: ISSUER,
    client_id: CLIENT,
    origin_jti: Crypto.randomUUID(),
    event_id: Crypto.randomUUID(),
    token_use: "access",
    scope: "aws.cognito.signin.user.admin",
    auth_time: now,
    exp: now + 3600,
    iat: now,
    jti: Crypto.randomUUID(),
    username: "ada@example.org"
  }).setProtectedHeader({ alg, kid }).sign(privateKey)
  const dot = token.lastIndexOf(".")
  const data = Buffer.from(token.slice(0, dot))
  const signature = Buffer.from(token.slice(dot + 1), "base64url")
  const key = alg === "RS256" ? publicKey : { key: publicKey, dsaEncoding: "ieee-p1363" as const }
  const raw = () => Crypto.verify("sha256", data, key, signature)
  const minimal = () => {
    const first = token.indexOf(".")
    const last = token.lastIndexOf(".")
    return Crypto.verify("sha256", Buffer.from(token.slice(0, last)), key, Buffer.from(token.slice(last + 1), "base64url")) &&
      typeof JSON.parse(Buffer.from(token.slice(first + 1, last), "base64url").toString("utf8")).exp === "number"
  }
  return { alg, token, jwk, raw, minimal }
}

/** Operations per second of `batch(n)` (which performs n verifications), over one round. */
const round = async (batch: (n: number) => unknown): Promise<number> => {
  let n = 64
  let done = 0
  const started = performance.now()
  let elapsed = 0
  while (elapsed < ROUND_MS) {
    const result = batch(n)
    if (result instanceof Promise) await result
    done += n
    elapsed = performance.now() - started
    if (elapsed < ROUND_MS / 4) n *= 2
  }
  return (done / elapsed) * 1000
}

const median = (values: ReadonlyArray<number>) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!

const main = async () => {
  const fixtures = [await fixture("RS256"), await fixture("ES256")]
  const jwksDocument = { keys: fixtures.map((f) => f.jwk) }

  // The toshi verifier fetches its JWKS over HTTP like in production, from a loopback server.
  const server = createServer((_, response) =>
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(jwksDocument))
  )
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve))
  const jwksUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`
  const options: JwtVerifier.Options = {
    issuer: ISSUER,
    jwksUri,
    algorithms: ["RS256", "ES256"],
    tokenUse: "access",
    clientIds: [CLIENT]
  }
  const scope = Effect.runSync(Scope.make())
  const build = (extra: Partial<JwtVerifier.Options>) =>
    Effect.runPromise(
      Effect.tap(JwtVerifier.make({ ...options, ...extra }), (v) => v.hydrate).pipe(
        Effect.provide(FetchHttpClient.layer),
        Scope.extend(scope)
      )
    )
  const toshi = await build({})
  const toshiCached = await build({ cache: { capacity: 10_000 } })
  const facade = await VerifyRequest.make({ verifier: options })

  const aws = CognitoJwtVerifier.create({ userPoolId: POOL, tokenUse: "access", clientId: CLIENT })
  aws.cacheJwks(jwksDocument as Parameters<typeof aws.cacheJwks>[0])
  const joseKeys = jose.createLocalJWKSet(jwksDocument as jose.JSONWebKeySet)

  const results: Array<{ alg: Alg; rows: Array<[string, number, number]> }> = []
  for (const f of fixtures) {
    const headers = { authorization: `Bearer ${f.token}` }
    // A new string object with the token's text on every request, as a server parsing headers has:
    // its hash is not cached yet, so the cache lookup pays for hashing the whole token.
    const syncVerify = syncPath(toshi)!
    const head = f.token.slice(0, 16)
    const tail = f.token.slice(16)
    // Every contender must accept the token before it is timed.
    if (!f.raw()) throw new Error("raw verify failed")
    Effect.runSync(toshi.verify(f.token))
    aws.verifySync(f.token)
    await jose.jwtVerify(f.token, joseKeys, { issuer: ISSUER, algorithms: [f.alg] })
    if (!(await facade.verifyRequest(headers)).ok) throw new Error("verifyRequest failed")

    const contenders: Array<[string, (n: number) => unknown]> = [
      ["raw crypto.verify", (n) => {
        for (let i = 0; i < n; i++) if (!f.raw()) throw new Error("raw")
      }],
      ["minimal verifier (no checks)", (n) => {
        for (let i = 0; i < n; i++) if (!f.minimal()) throw new Error("minimal")
      }],
      ["raw in Effect.sync, yielded", (n) =>
        Effect.runSync(Effect.gen(function*() {
          for (let i = 0; i < n; i++) if (!(yield* Effect.sync(f.raw))) throw new Error("raw in Effect")
        }))],
      ["toshi JwtVerifier.verify", (n) =>
        Effect.runSync(Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* toshi.verify(f.token)
        }))],
      ["toshi synchronous path", (n) => {
        for (let i = 0; i < n; i++) if (syncVerify(f.token, Date.now(), undefined) instanceof Error) throw new Error("sync")
      }],
      ["toshi verifyRequest (Promise)", async (n) => {
        for (let i = 0; i < n; i++) if (!(await facade.verifyRequest(headers)).ok) throw new Error("facade")
      }],
      ["aws-jwt-verify verifySync", (n) => {
        for (let i = 0; i < n; i++) aws.verifySync(f.token)
      }],
      ["jose jwtVerify (local JWKS)", async (n) => {
        for (let i = 0; i < n; i++) await jose.jwtVerify(f.token, joseKeys, { issuer: ISSUER, algorithms: [f.alg] })
      }],
      ["toshi cached, same string", (n) =>
        Effect.runSync(Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* toshiCached.verify(f.token)
        }))],
      ["toshi cached, fresh string", (n) =>
        Effect.runSync(Effect.gen(function*() {
          for (let i = 0; i < n; i++) yield* toshiCached.verify(head + tail)
        }))]
    ]
    for (const [, batch] of contenders) await round(batch) // warm-up
    // Each contender is timed right after raw, and its ratio taken within that pair: the machine
    // may be shared, and its speed drifts more between seconds than within one pair.
    const samples = contenders.map(() => [] as Array<number>)
    const ratios = contenders.map(() => [] as Array<number>)
    for (let r = 0; r < ROUNDS; r++) {
      for (let c = 1; c < contenders.length; c++) {
        const raw = await round(contenders[0]![1])
        const ops = await round(contenders[c]![1])
        samples[0]!.push(raw)
        samples[c]!.push(ops)
        ratios[c]!.push(ops / raw)
      }
    }
    ratios[0] = [1]
    results.push({ alg: f.alg, rows: contenders.map(([name], c) => [name, median(samples[c]!), median(ratios[c]!)]) })
  }

  console.log(
    `node ${process.version}, ${ROUNDS} rounds of ${ROUND_MS} ms per contender, each paired with raw; ` +
      `median ops/s and median ratio to raw within the pairs\n`
  )
  let allMet = true
  for (const { alg, rows } of results) {
    console.log(alg)
    for (const [name, ops, ratio] of rows) {
      console.log(`  ${name.padEnd(32)} ${Math.round(ops).toLocaleString("en").padStart(11)} ops/s  ${ratio.toFixed(2).padStart(7)}x raw`)
    }
    const ratioOf = (name: string) => rows.find(([row]) => row === name)![2]
    const toshiRatio = ratioOf("toshi JwtVerifier.verify")
    const cachedRatio = ratioOf("toshi cached, fresh string")
    const met = toshiRatio >= 0.8 && cachedRatio >= 10
    allMet &&= met
    console.log(
      `  goals: toshi >= 0.8x raw: ${toshiRatio.toFixed(2)}x ${toshiRatio >= 0.8 ? "met" : "NOT met"} ` +
        `(floors: the minimal verifier ${ratioOf("minimal verifier (no checks)").toFixed(2)}x, ` +
        `raw in Effect.sync ${ratioOf("raw in Effect.sync, yielded").toFixed(2)}x); ` +
        `cached (fresh string) >= 10x raw: ${cachedRatio.toFixed(1)}x ${cachedRatio >= 10 ? "met" : "NOT met"}\n`
    )
  }
  console.log(allMet ? "all goals met" : "some goals NOT met")

  await facade.dispose()
  await Effect.runPromise(Scope.close(scope, Exit.void))
  await new Promise<void>((resolve) => server.close(() => resolve()))
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
