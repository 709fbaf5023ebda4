import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { NodeHttpClient } from "@effect/platform-node"
import { afterAll, assert, beforeAll, beforeEach, describe, it } from "@effect/vitest"
import * as Crypto from "node:crypto"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as TestClock from "effect/TestClock"
import { JwtVerifier, VerifyError } from "../src/index.js"
import {
  closedPortUrl,
  decodeJson,
  encodeJson,
  eventually,
  type JwksServer,
  makeKey,
  parts,
  sign,
  signRaw,
  type SigningKey,
  startJwksServer
} from "./utils.js"

/** The tests' "now", in seconds; every test sets the TestClock to it first. */
const NOW = 1_750_000_000

let jwks: JwksServer
let rsa: SigningKey
let rsaNoAlg: SigningKey
let ps: SigningKey
let ec: SigningKey
let ec384: SigningKey
let ed: SigningKey
let allKeys: Array<SigningKey>

beforeAll(async () => {
  rsa = await makeKey("RS256", "rsa-1")
  rsaNoAlg = await makeKey("RS256", "rsa-noalg", { withAlg: false })
  ps = await makeKey("PS256", "ps-1")
  ec = await makeKey("ES256", "ec-1")
  ec384 = await makeKey("ES384", "ec384-1")
  ed = await makeKey("EdDSA", "ed-1", { crv: "Ed25519" })
  allKeys = [rsa, rsaNoAlg, ps, ec, ec384, ed]
  jwks = await startJwksServer()
})
afterAll(() => jwks?.stop())
beforeEach(() => {
  jwks.keys = allKeys.map((key) => key.jwk)
  jwks.mode = "ok"
  jwks.fetches = 0
  jwks.redirectTargetFetches = 0
})

const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  iss: jwks.issuer,
  sub: "user-1",
  client_id: "app",
  username: "ada",
  token_use: "access",
  scope: "read write",
  iat: NOW,
  exp: NOW + 3600,
  ...overrides
})

const options = (overrides: Partial<JwtVerifier.Options> = {}): JwtVerifier.Options => ({
  issuer: jwks.issuer,
  jwksUri: jwks.jwksUri,
  algorithms: ["RS256", "PS256", "ES256", "ES384", "EdDSA"],
  clientIds: ["app"],
  clockTolerance: "2 seconds",
  jwks: { cooldown: "30 seconds", maxAge: "10 minutes", timeout: "5 seconds" },
  ...overrides
})

const atNow = TestClock.setTime(NOW * 1000)

/** A hydrated verifier over the fetch client, at the tests' "now". */
const verifier = (overrides: Partial<JwtVerifier.Options> = {}) =>
  Effect.gen(function*() {
    yield* atNow
    const v = yield* JwtVerifier.make(options(overrides))
    yield* v.hydrate
    return v
  }).pipe(Effect.provide(FetchHttpClient.layer))

/** Verifying `token` fails with the given error and reason. */
const rejects = <E extends VerifyError.VerifyError, R>(
  effect: Effect.Effect<unknown, E, R>,
  tag: VerifyError.VerifyError["_tag"],
  reason: string
) =>
  Effect.gen(function*() {
    const error = yield* Effect.flip(effect)
    assert.strictEqual(error._tag, tag, error.message)
    assert.strictEqual(error.reason, reason, error.message)
    return error
  })

const rejectsToken = (v: JwtVerifier.JwtVerifierService, token: string, reason: VerifyError.InvalidToken["reason"]) =>
  rejects(v.verify(token), "InvalidToken", reason)

describe("JwtVerifier: honest tokens", () => {
  it.scoped("accepts RS256, PS256, ES256, ES384 and EdDSA tokens, and returns their claims", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      for (const key of [rsa, rsaNoAlg, ps, ec, ec384, ed]) {
        const token = yield* Effect.promise(() => sign(key, claims({ jti: key.kid })))
        const verified = yield* v.verify(token)
        assert.strictEqual(verified["jti"], key.kid)
        assert.strictEqual(verified.iss, jwks.issuer)
      }
      assert.strictEqual(jwks.fetches, 1)
    }))

  it.scoped("a token inside the clock tolerance passes: exp just past, nbf and iat just ahead", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const token = yield* Effect.promise(() => sign(rsa, claims({ exp: NOW - 1, nbf: NOW + 1, iat: NOW + 1 })))
      const verified = yield* v.verify(token)
      assert.strictEqual(verified.exp, NOW - 1)
    }))

  it.scoped("Cognito-shaped ID tokens pass on their aud; token_use is checked when configured", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ tokenUse: ["access", "id"] })
      const id = yield* Effect.promise(() =>
        sign(rsa, claims({ client_id: undefined, aud: "app", token_use: "id", "cognito:username": "ada" }))
      )
      assert.strictEqual((yield* v.verify(id))["token_use"], "id")
      const accessOnly = yield* verifier({ tokenUse: "access" })
      yield* rejectsToken(accessOnly, id, "WrongTokenUse")
      yield* rejects(v.verify(id, { tokenUse: "access" }), "InvalidToken", "WrongTokenUse")
    }))

  it.scoped("scopes: any-of and all-of, per verifier and per call (403, not 401)", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const token = yield* Effect.promise(() => sign(rsa, claims({ scope: "read write" })))
      yield* v.verify(token, { scopes: { allOf: ["read", "write"] } })
      yield* v.verify(token, { scopes: { anyOf: ["admin", "write"] } })
      yield* rejects(v.verify(token, { scopes: { allOf: ["read", "admin"] } }), "AccessDenied", "InsufficientScope")
      yield* rejects(v.verify(token, { scopes: { anyOf: ["admin", "root"] } }), "AccessDenied", "InsufficientScope")
      const strict = yield* verifier({ scopes: { anyOf: ["toshi/api"] } })
      yield* rejects(strict.verify(token), "AccessDenied", "InsufficientScope")
      const scp = yield* Effect.promise(() => sign(rsa, claims({ scope: undefined, scp: ["toshi/api"] })))
      yield* strict.verify(scp)
    }))

  it.scoped("audiences: a generic OIDC access token passes on its aud", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ clientIds: "any", audiences: ["urn:toshi:api"] })
      const good = yield* Effect.promise(() => sign(rsa, claims({ aud: ["urn:toshi:api", "other"], client_id: "anyone" })))
      yield* v.verify(good)
      const bad = yield* Effect.promise(() => sign(rsa, claims({ aud: "urn:other:api" })))
      yield* rejectsToken(v, bad, "WrongAudience")
    }))
})

describe("JwtVerifier: the security suite (every one is refused)", () => {
  it.scoped("alg: none, with and without a signature", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      yield* rejectsToken(v, signRaw({ alg: "none", kid: rsa.kid }, claims()), "AlgorithmNotAllowed")
      const withSig = signRaw({ alg: "none", kid: rsa.kid }, claims()) + parts(yield* Effect.promise(() => sign(rsa, claims()))).signature
      yield* rejectsToken(v, withSig, "AlgorithmNotAllowed")
      yield* rejectsToken(v, signRaw({ alg: "NONE", kid: rsa.kid }, claims()), "AlgorithmNotAllowed")
    }))

  it.scoped("HS256 signed with the issuer's public key as the secret", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const publicPem = Crypto.createPublicKey({ key: rsa.jwk as Crypto.JsonWebKey, format: "jwk" }).export({ type: "spki", format: "pem" })
      for (const secret of [Buffer.from(publicPem), Buffer.from(JSON.stringify(rsa.jwk))]) {
        const input = `${encodeJson({ alg: "HS256", kid: rsa.kid })}.${encodeJson(claims())}`
        const token = `${input}.${Crypto.createHmac("sha256", secret).update(input).digest("base64url")}`
        yield* rejectsToken(v, token, "AlgorithmNotAllowed")
      }
    }))

  it.scoped("an RSA-signed token labelled ES256, and a key used with another algorithm than its alg", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      yield* rejectsToken(v, signRaw({ alg: "ES256", kid: rsa.kid }, claims(), { key: rsa.privateKey, alg: "RS256" }), "KeyMismatch")
      // The key without `alg` is an RSA key: still not usable for ES256.
      yield* rejectsToken(v, signRaw({ alg: "ES256", kid: rsaNoAlg.kid }, claims(), { key: rsaNoAlg.privateKey, alg: "RS256" }), "KeyMismatch")
      // An RS256 key (its JWK says so) used for PS256 with a genuine PS256 signature.
      yield* rejectsToken(v, signRaw({ alg: "PS256", kid: rsa.kid }, claims(), { key: rsa.privateKey, alg: "PS256" }), "KeyMismatch")
      // An ES384 token naming the P-256 key.
      yield* rejectsToken(v, signRaw({ alg: "ES384", kid: ec.kid }, claims(), { key: ec384.privateKey, alg: "ES384" }), "KeyMismatch")
    }))

  it.scoped("no kid, and a kid that is not a string", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      yield* rejectsToken(v, signRaw({ alg: "RS256" }, claims(), { key: rsa.privateKey, alg: "RS256" }), "MissingKeyId")
      yield* rejectsToken(v, signRaw({ alg: "RS256", kid: 7 }, claims(), { key: rsa.privateKey, alg: "RS256" }), "MissingKeyId")
    }))

  it.scoped("an unknown kid: refused, with at most one JWKS fetch per cooldown however many arrive", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const stranger = yield* Effect.promise(() => makeKey("RS256", "stranger"))
      assert.strictEqual(jwks.fetches, 1)
      const flood = (n: number) =>
        Effect.forEach(
          Array.from({ length: n }, (_, i) => signRaw({ alg: "RS256", kid: `unknown-${i}` }, claims(), { key: stranger.privateKey, alg: "RS256" })),
          (token) => Effect.flip(v.verify(token)),
          { concurrency: "unbounded" }
        )
      // Within the cooldown of the start-up fetch: no fetch at all.
      const first = yield* flood(200)
      assert.isTrue(first.every((error) => error._tag === "InvalidToken" && error.reason === "UnknownKey"))
      assert.strictEqual(jwks.fetches, 1)
      // Past it: one fetch for the whole flood, then none until the next cooldown ends.
      yield* TestClock.adjust("31 seconds")
      const second = yield* flood(200)
      assert.isTrue(second.every((error) => error._tag === "InvalidToken" && error.reason === "UnknownKey"))
      assert.strictEqual(jwks.fetches, 2)
      yield* flood(50)
      assert.strictEqual(jwks.fetches, 2)
      yield* TestClock.adjust("31 seconds")
      yield* flood(50)
      assert.strictEqual(jwks.fetches, 3)
    }))

  it.scoped("a payload changed after signing", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const token = parts(yield* Effect.promise(() => sign(rsa, claims({ scope: "read" }))))
      const tampered = `${token.header}.${encodeJson({ ...decodeJson(token.payload), scope: "read write admin" })}.${token.signature}`
      yield* rejectsToken(v, tampered, "InvalidSignature")
      const otherToken = parts(yield* Effect.promise(() => sign(rsa, claims({ sub: "someone-else" }))))
      yield* rejectsToken(v, `${token.header}.${otherToken.payload}.${token.signature}`, "InvalidSignature")
    }))

  it.scoped("one flipped bit of the signature, for every algorithm", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      for (const key of [rsa, ps, ec, ec384, ed]) {
        const token = parts(yield* Effect.promise(() => sign(key, claims())))
        const signature = Buffer.from(token.signature, "base64url")
        signature[Math.floor(signature.length / 2)]! ^= 0x01
        yield* rejectsToken(v, `${token.header}.${token.payload}.${signature.toString("base64url")}`, "InvalidSignature")
      }
    }))

  it.scoped("altered base64url padding bits (the same bytes to a lenient decoder) and non-alphabet characters", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const token = yield* Effect.promise(() => sign(rsa, claims()))
      yield* v.verify(token)
      const { header, payload, signature } = parts(token)
      // 256 bytes encode to 342 characters: the last one carries 4 unused bits.
      assert.strictEqual(signature.length % 4, 2)
      const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
      const last = alphabet.indexOf(signature.at(-1)!)
      const altered = signature.slice(0, -1) + alphabet[last | 0x01]
      assert.notStrictEqual(altered, signature)
      assert.isTrue(Buffer.from(altered, "base64url").equals(Buffer.from(signature, "base64url")))
      yield* rejectsToken(v, `${header}.${payload}.${altered}`, "NonCanonicalEncoding")
      yield* rejectsToken(v, `${header}.${payload}.${signature}==`, "NonCanonicalEncoding")
      // `+` and `/` are base64, not base64url, though Node's decoder takes both.
      yield* rejectsToken(v, `${header}.${payload}.+${signature.slice(1)}`, "NonCanonicalEncoding")
      yield* rejectsToken(v, `${header}.${payload}.${signature.slice(0, 10)} ${signature.slice(10)}`, "NonCanonicalEncoding")
      // Characters outside ASCII that a latin1 encoder would write as the bytes of the genuine
      // ones ("Ł" is U+0141: its low byte is "A"), in the payload and in the header.
      const a = payload.indexOf("A")
      assert.isAtLeast(a, 0)
      yield* rejectsToken(v, `${header}.${payload.slice(0, a)}\u0141${payload.slice(a + 1)}.${signature}`, "InvalidSignature")
      const h = header.lastIndexOf("J")
      const altHeader = `${header.slice(0, h)}\u014a${header.slice(h + 1)}`
      yield* rejectsToken(v, `${altHeader}.${payload}.${signature}`, "NonCanonicalEncoding")
      yield* rejectsToken(v, `${header}.${payload}.${signature}.extra`, "Malformed")
      yield* rejectsToken(v, `${header}.${payload}`, "Malformed")
    }))

  it.scoped("no exp, a non-numeric exp, an expired token", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ exp: undefined }))), "MissingExpiry")
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ exp: `${NOW + 3600}` }))), "MissingExpiry")
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ exp: NOW - 3 }))), "Expired")
    }))

  it.scoped("a token that expires while in use is refused from then on", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ cache: { capacity: 100 } })
      const token = yield* Effect.promise(() => sign(rsa, claims({ exp: NOW + 60 })))
      yield* v.verify(token)
      yield* TestClock.adjust("61 seconds")
      yield* v.verify(token)
      yield* TestClock.adjust("1 second")
      yield* rejectsToken(v, token, "Expired")
    }))

  it.scoped("nbf and iat in the future beyond the tolerance", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ nbf: NOW + 3 }))), "NotYetValid")
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ iat: NOW + 3 }))), "IssuedInFuture")
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ iat: "now" }))), "Malformed")
      const none = yield* verifier({ clockTolerance: 0 })
      yield* rejectsToken(none, yield* Effect.promise(() => sign(rsa, claims({ iat: NOW + 1 }))), "IssuedInFuture")
    }))

  it.scoped("a wrong iss, even a prefix or a trailing slash of the right one", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      for (const iss of ["https://evil.example", `${jwks.issuer}/`, jwks.issuer.slice(0, -1), undefined]) {
        yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ iss }))), "WrongIssuer")
      }
    }))

  it.scoped("a wrong client_id, a wrong aud on an ID token, a wrong token_use", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ tokenUse: ["access", "id"] })
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ client_id: "other-app" }))), "WrongClient")
      yield* rejectsToken(
        v,
        yield* Effect.promise(() => sign(rsa, claims({ client_id: undefined, aud: "other-app", token_use: "id" }))),
        "WrongClient"
      )
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ token_use: "refresh" }))), "WrongTokenUse")
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ token_use: undefined }))), "WrongTokenUse")
    }))

  it.scoped("a missing scope is a 403", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const token = yield* Effect.promise(() => sign(rsa, claims({ scope: "read" })))
      const error = yield* rejects(v.verify(token, { scopes: { allOf: ["write"] } }), "AccessDenied", "InsufficientScope")
      assert.strictEqual(VerifyError.status(error as VerifyError.AccessDenied), 403)
    }))

  it.scoped("an unknown crit header, even one naming a registered claim", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const signer = { key: rsa.privateKey, alg: "RS256" }
      yield* rejectsToken(v, signRaw({ alg: "RS256", kid: rsa.kid, crit: ["x-toshi"], "x-toshi": 1 }, claims(), signer), "UnsupportedCriticalHeader")
      yield* rejectsToken(v, signRaw({ alg: "RS256", kid: rsa.kid, crit: ["b64"], b64: false }, claims(), signer), "UnsupportedCriticalHeader")
      yield* rejectsToken(v, signRaw({ alg: "RS256", kid: rsa.kid, crit: [] }, claims(), signer), "UnsupportedCriticalHeader")
    }))

  it.scoped("an oversized token, genuine or not", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ maxTokenLength: 4096 })
      const big = yield* Effect.promise(() => sign(rsa, claims({ padding: "x".repeat(4000) })))
      yield* rejectsToken(v, big, "TooLarge")
      yield* rejectsToken(v, "a".repeat(1_000_000), "TooLarge")
      yield* rejectsToken(v, "", "Malformed")
    }))

  it.scoped("headers and payloads that are not JSON objects", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const signer = { key: rsa.privateKey, alg: "RS256" }
      const input = `${Buffer.from("[1,2]").toString("base64url")}.${encodeJson(claims())}`
      yield* rejectsToken(v, `${input}.${Crypto.sign("sha256", Buffer.from(input), rsa.privateKey).toString("base64url")}`, "Malformed")
      const good = signRaw({ alg: "RS256", kid: rsa.kid }, claims(), signer)
      const { header } = parts(good)
      const payloadInput = `${header}.${Buffer.from("\"a string\"").toString("base64url")}`
      yield* rejectsToken(v, `${payloadInput}.${Crypto.sign("sha256", Buffer.from(payloadInput), rsa.privateKey).toString("base64url")}`, "Malformed")
    }))

  it.scoped("a key removed from the JWKS stops being trusted once the keys reach their maximum age", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ cache: { capacity: 100 } })
      const token = yield* Effect.promise(() => sign(ec, claims()))
      yield* v.verify(token) // and cached
      jwks.keys = allKeys.filter((key) => key !== ec).map((key) => key.jwk)
      yield* TestClock.adjust("9 minutes")
      yield* v.verify(token)
      assert.strictEqual(jwks.fetches, 1)
      // At ten minutes the background refresh fetches the set again, with no request asking.
      yield* TestClock.adjust("1 minute")
      yield* Effect.promise(() => eventually(() => jwks.fetches === 2))
      yield* Effect.promise(() => eventually(() => Effect.runSync(v.keyIds).every((kid) => kid !== ec.kid)))
      yield* rejectsToken(v, token, "UnknownKey")
      assert.deepStrictEqual([...(yield* v.keyIds)].sort(), allKeys.filter((key) => key !== ec).map((key) => key.kid).sort())
    }))

  it.scoped("a new key is picked up on first use once the cooldown has passed (rotation)", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const next = yield* Effect.promise(() => makeKey("RS256", "rsa-2"))
      jwks.keys = [...jwks.keys, next.jwk]
      yield* TestClock.adjust("31 seconds")
      const verified = yield* v.verify(yield* Effect.promise(() => sign(next, claims({ jti: "rotated" }))))
      assert.strictEqual(verified["jti"], "rotated")
      assert.strictEqual(jwks.fetches, 2)
    }))
})

describe("JwtVerifier: the verified-token cache", () => {
  it.scoped("a cached token is still checked for scopes and token_use on every use", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ cache: { capacity: 10 } })
      const token = yield* Effect.promise(() => sign(rsa, claims({ scope: "read" })))
      const first = yield* v.verify(token)
      const second = yield* v.verify(token)
      assert.strictEqual(first, second) // the same object: a cache hit
      // Shared between requests, so frozen, arrays included.
      assert.isTrue(Object.isFrozen(first))
      const grouped = yield* Effect.promise(() => sign(rsa, claims({ "cognito:groups": ["a"] })))
      assert.isTrue(Object.isFrozen((yield* v.verify(grouped))["cognito:groups"]))
      yield* rejects(v.verify(token, { scopes: { allOf: ["write"] } }), "AccessDenied", "InsufficientScope")
      yield* rejects(v.verify(token, { tokenUse: "id" }), "InvalidToken", "WrongTokenUse")
    }))

  it.scoped("without the cache every use checks the signature again (no shared object)", () =>
    Effect.gen(function*() {
      const v = yield* verifier()
      const token = yield* Effect.promise(() => sign(rsa, claims()))
      assert.notStrictEqual(yield* v.verify(token), yield* v.verify(token))
    }))

  it.scoped("the cache holds at most its capacity", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ cache: { capacity: 2 } })
      const tokens = yield* Effect.forEach([1, 2, 3], (i) => Effect.promise(() => sign(rsa, claims({ jti: `t${i}` }))))
      const first = yield* v.verify(tokens[0]!)
      yield* v.verify(tokens[1]!)
      yield* v.verify(tokens[2]!)
      // The oldest entry went: verifying it again yields a fresh object.
      assert.notStrictEqual(yield* v.verify(tokens[0]!), first)
    }))
})

describe("JwtVerifier: an unavailable JWKS is a 503, never an acceptance", () => {
  const stranger = () => Effect.promise(() => makeKey("RS256", "not-yet-known"))

  it.scoped("down (connection refused): hydrate fails, and a token cannot pass", () =>
    Effect.gen(function*() {
      yield* atNow
      const uri = yield* Effect.promise(closedPortUrl)
      const v = yield* JwtVerifier.make(options({ jwksUri: uri }))
      const error = yield* rejects(v.hydrate, "JwksUnavailable", "Unreachable")
      assert.strictEqual(VerifyError.status(error as VerifyError.JwksUnavailable), 503)
      yield* rejects(v.verify(yield* Effect.promise(() => sign(rsa, claims()))), "JwksUnavailable", "Unreachable")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scoped("the layer fails at start-up when the JWKS cannot be loaded", () =>
    Effect.gen(function*() {
      const uri = yield* Effect.promise(closedPortUrl)
      const exit = yield* Effect.exit(Layer.build(JwtVerifier.layer(options({ jwksUri: uri }))))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "JwksUnavailable")
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scoped("each failure mode of the JWKS server", () =>
    Effect.gen(function*() {
      const v = yield* verifier({ jwks: { cooldown: "1 second", maxBytes: 64 * 1024, timeout: "5 seconds" } })
      const key = yield* stranger()
      const token = yield* Effect.promise(() => sign(key, claims()))
      const cases: ReadonlyArray<[JwksServer["mode"], VerifyError.JwksUnavailable["reason"]]> = [
        ["reset", "Unreachable"],
        ["redirect", "Redirected"],
        ["garbage", "Malformed"],
        ["status500", "HttpStatus"],
        ["huge", "TooLarge"],
        ["hugeChunked", "TooLarge"],
        ["noKeysArray", "Malformed"],
        ["unusableKeys", "NoUsableKeys"]
      ]
      // The key is even published: only a fetch that succeeds may lead to accepting it.
      jwks.keys = [...jwks.keys, key.jwk]
      for (const [mode, reason] of cases) {
        jwks.mode = mode
        yield* TestClock.adjust("2 seconds")
        yield* rejects(v.verify(token), "JwksUnavailable", reason)
        // Within the cooldown the failure is remembered, not fetched again.
        const fetches = jwks.fetches
        yield* rejects(v.verify(token), "JwksUnavailable", reason)
        assert.strictEqual(jwks.fetches, fetches)
      }
      assert.strictEqual(jwks.redirectTargetFetches, 0)
      // Tokens of keys loaded before the outage keep working during it.
      yield* v.verify(yield* Effect.promise(() => sign(rsa, claims())))
      // And once the server recovers, the new key is fetched and accepted.
      jwks.mode = "ok"
      yield* TestClock.adjust("2 seconds")
      yield* v.verify(token)
    }))

  it.scoped("an issuer down from the start is retried in the background once a second at most, even with no cooldown", () =>
    Effect.gen(function*() {
      yield* atNow
      jwks.mode = "status500"
      yield* JwtVerifier.make(options({ jwks: { cooldown: 0 } }))
      yield* Effect.promise(() => eventually(() => jwks.fetches === 1))
      // Real time passes; the clock of the verifier does not: no second attempt.
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 200)))
      assert.strictEqual(jwks.fetches, 1)
      yield* TestClock.adjust("1 second")
      yield* Effect.promise(() => eventually(() => jwks.fetches === 2))
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 100)))
      assert.strictEqual(jwks.fetches, 2)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scoped("a redirect is refused with the undici client too", () =>
    Effect.gen(function*() {
      yield* atNow
      jwks.mode = "redirect"
      const v = yield* JwtVerifier.make(options())
      yield* rejects(v.hydrate, "JwksUnavailable", "Redirected")
      assert.strictEqual(jwks.redirectTargetFetches, 0)
    }).pipe(Effect.provide(NodeHttpClient.layerUndici)))

  it.scoped("a redirect is refused even by a client that follows redirects by default (fetch)", () =>
    Effect.gen(function*() {
      yield* atNow
      jwks.mode = "redirect"
      // A caller's own RequestInit is kept, but its redirect setting is overridden.
      const v = yield* JwtVerifier.make(options()).pipe(Effect.provideService(FetchHttpClient.RequestInit, { redirect: "follow" }))
      yield* rejects(v.hydrate.pipe(Effect.provideService(FetchHttpClient.RequestInit, { redirect: "follow" })), "JwksUnavailable", "Redirected")
      assert.strictEqual(jwks.redirectTargetFetches, 0)
    }).pipe(Effect.provide(FetchHttpClient.layer)))

  it.scoped("a slow JWKS times out (503) and the waiting requests are refused", () =>
    Effect.gen(function*() {
      yield* atNow
      jwks.mode = "slow"
      const v = yield* JwtVerifier.make(options())
      const token = yield* Effect.promise(() => sign(rsa, claims()))
      const waiting = yield* Effect.fork(Effect.all([v.verify(token), v.verify(token)].map(Effect.flip), { concurrency: "unbounded" }))
      yield* Effect.promise(() => eventually(() => jwks.fetches === 1))
      yield* TestClock.adjust("5 seconds")
      const errors = yield* Fiber.join(waiting)
      for (const error of errors) {
        assert.strictEqual(error._tag, "JwksUnavailable")
        assert.strictEqual((error as VerifyError.JwksUnavailable).reason, "Timeout")
      }
      // Both requests waited on one fetch.
      assert.strictEqual(jwks.fetches, 1)
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})

describe("JwtVerifier: misconfiguration is found when the verifier is built (500)", () => {
  const misconfigured = (overrides: Partial<JwtVerifier.Options>, reason: VerifyError.VerifierMisconfigured["reason"]) =>
    Effect.gen(function*() {
      const error = yield* rejects(JwtVerifier.make(options(overrides)), "VerifierMisconfigured", reason)
      assert.strictEqual(VerifyError.status(error as VerifyError.VerifierMisconfigured), 500)
    }).pipe(Effect.provide(FetchHttpClient.layer))

  it.scoped("a JWKS over plain HTTP to another host", () => misconfigured({ jwksUri: "http://example.com/jwks.json" }, "InsecureJwksUri"))
  it.scoped("a JWKS URI that is not a URL", () => misconfigured({ jwksUri: "jwks.json" }, "InsecureJwksUri"))
  it.scoped("HS256 or none in the allowlist", () =>
    Effect.all([
      misconfigured({ algorithms: ["HS256" as JwtVerifier.Algorithm] }, "InvalidAlgorithm"),
      misconfigured({ algorithms: ["none" as JwtVerifier.Algorithm] }, "InvalidAlgorithm"),
      misconfigured({ algorithms: [] }, "InvalidAlgorithm")
    ]))
  it.scoped("neither clientIds nor audiences", () => misconfigured({ clientIds: undefined }, "MissingAudience"))
  it.scoped("an issuer that is not a URL", () => misconfigured({ issuer: "my-pool" }, "InvalidIssuer"))
  it.scoped("a negative tolerance or a zero timeout", () =>
    Effect.all([
      misconfigured({ clockTolerance: -1 }, "InvalidOption"),
      misconfigured({ jwks: { timeout: 0 } }, "InvalidOption"),
      misconfigured({ maxTokenLength: 0 }, "InvalidOption")
    ]))

  it("the default JWKS URI is Cognito's, and cognito() builds the pool's issuer", () => {
    const options = JwtVerifier.cognito({ region: "ap-southeast-2", userPoolId: "ap-southeast-2_abc", clientIds: ["x"], tokenUse: "access" })
    assert.strictEqual(options.issuer, "https://cognito-idp.ap-southeast-2.amazonaws.com/ap-southeast-2_abc")
    assert.strictEqual(options.tokenUse, "access")
  })
})

describe("JwtVerifier.combine", () => {
  it.scoped("routes each token to its issuer's verifier, and refuses other issuers", () =>
    Effect.gen(function*() {
      yield* atNow
      const other = yield* Effect.promise(() => startJwksServer([]))
      yield* Effect.addFinalizer(() => Effect.promise(() => other.stop()))
      const otherKey = yield* Effect.promise(() => makeKey("ES256", "other-1"))
      other.keys = [otherKey.jwk]
      const v = JwtVerifier.combine([
        yield* JwtVerifier.make(options()),
        yield* JwtVerifier.make(options({ issuer: other.issuer, jwksUri: other.jwksUri, algorithms: ["ES256"] }))
      ])
      yield* v.hydrate
      assert.deepStrictEqual(v.issuers, [jwks.issuer, other.issuer])
      yield* v.verify(yield* Effect.promise(() => sign(rsa, claims())))
      yield* v.verify(yield* Effect.promise(() => sign(otherKey, claims({ iss: other.issuer }))))
      // A token claiming one issuer but signed by the other's key fails that issuer's checks.
      yield* rejectsToken(v, yield* Effect.promise(() => sign(otherKey, claims())), "UnknownKey")
      yield* rejectsToken(v, yield* Effect.promise(() => sign(rsa, claims({ iss: "https://elsewhere.example" }))), "WrongIssuer")
      assert.sameMembers([...(yield* v.keyIds)], [...allKeys.map((k) => k.kid), otherKey.kid])
    }).pipe(Effect.provide(FetchHttpClient.layer)))
})

describe("VerifyError", () => {
  it("statuses, challenges and messages that say what to do and carry no token", () => {
    const invalid = new VerifyError.InvalidToken({ reason: "Expired", description: "the token has expired" })
    assert.strictEqual(VerifyError.status(invalid), 401)
    assert.strictEqual(VerifyError.wwwAuthenticate(invalid), `Bearer error="invalid_token"`)
    assert.include(invalid.message, "Get a new token")
    const missing = new VerifyError.InvalidToken({ reason: "MissingCredentials", description: "none" })
    assert.strictEqual(VerifyError.wwwAuthenticate(missing), "Bearer")
    const unavailable = new VerifyError.JwksUnavailable({ reason: "Timeout", description: "slow" })
    assert.strictEqual(VerifyError.status(unavailable), 503)
    assert.isUndefined(VerifyError.wwwAuthenticate(unavailable))
    assert.isTrue(VerifyError.isVerifyError(unavailable))
    assert.isFalse(VerifyError.isVerifyError({ _tag: "InvalidToken" }))
  })

  it.effect("a rejected token's error never contains the token", () =>
    Effect.gen(function*() {
      yield* atNow
      const v = yield* JwtVerifier.make(options())
      yield* v.hydrate
      const token = yield* Effect.promise(() => sign(rsa, claims({ exp: NOW - 100 })))
      const error = yield* Effect.flip(v.verify(token))
      assert.notInclude(JSON.stringify(error), parts(token).signature)
      assert.notInclude(error.message, parts(token).payload)
    }).pipe(Effect.scoped, Effect.provide(FetchHttpClient.layer)))
})
