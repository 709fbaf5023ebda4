/** @internal */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as JwtVerifier from "../JwtVerifier.js"
import { AccessDenied, InvalidToken, type JwksUnavailable, VerifierMisconfigured } from "../VerifyError.js"
import { type Claims, Engine, type Expectations, type Outcome, peekIssuer, UnknownKid } from "./engine.js"
import { isAlgorithm } from "./jwk.js"
import { makeKeySource } from "./jwks.js"

/** The synchronous path of a verifier, for the Promise facade: no Effect runtime on a hit. */
export type SyncVerify = (token: string, nowMillis: number, expectations: Expectations | undefined) => Outcome

const syncPaths = new WeakMap<JwtVerifier.JwtVerifierService, SyncVerify>()

export const syncPath = (service: JwtVerifier.JwtVerifierService): SyncVerify | undefined => syncPaths.get(service)

const misconfigured = (reason: VerifierMisconfigured["reason"], description: string) =>
  new VerifierMisconfigured({ reason, description })

const LOOPBACK = /^(?:localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

const checkJwksUri = (uri: string): VerifierMisconfigured | undefined => {
  let url: URL
  try {
    url = new URL(uri)
  } catch {
    return misconfigured("InsecureJwksUri", "the JWKS URI is not a URL")
  }
  if (url.protocol === "https:") return undefined
  // Plain HTTP would let anyone on the path swap the keys; a loopback address never leaves the host.
  if (url.protocol === "http:" && LOOPBACK.test(url.hostname)) return undefined
  return misconfigured("InsecureJwksUri", `the JWKS URI must use https (or http on a loopback address), not ${url.protocol}//${url.host}`)
}

const duration = (
  name: string,
  input: Duration.DurationInput | undefined,
  fallback: Duration.DurationInput,
  allowZero: boolean
): Effect.Effect<Duration.Duration, VerifierMisconfigured> => {
  // Duration reads a negative number as zero; a negative setting is a mistake worth reporting.
  const negative = typeof input === "number" && input < 0
  const value = Duration.decodeUnknown(input ?? fallback)
  if (negative || value._tag === "None" || !Duration.isFinite(value.value) || (!allowZero && Duration.toMillis(value.value) <= 0)) {
    return Effect.fail(misconfigured("InvalidOption", `${name} must be a finite${allowZero ? "" : ", positive"} duration`))
  }
  return Effect.succeed(value.value)
}

const count = (name: string, value: number | undefined, fallback: number, min: number): Effect.Effect<number, VerifierMisconfigured> => {
  const n = value ?? fallback
  return Number.isSafeInteger(n) && n >= min
    ? Effect.succeed(n)
    : Effect.fail(misconfigured("InvalidOption", `${name} must be a whole number, at least ${min}`))
}

const asList = <A extends string>(value: A | ReadonlyArray<A> | undefined): ReadonlyArray<A> | undefined =>
  value === undefined ? undefined : typeof value === "string" ? [value as A] : value

export const make = (
  options: JwtVerifier.Options
): Effect.Effect<JwtVerifier.JwtVerifierService, VerifierMisconfigured, HttpClient.HttpClient | Scope.Scope> =>
  Effect.flatMap(HttpClient.HttpClient, (client) => makeWith(options, client))

const makeWith = Effect.fnUntraced(function*(options: JwtVerifier.Options, client: HttpClient.HttpClient) {
  const issuer = options.issuer
  if (typeof issuer !== "string" || issuer === "" || !URL.canParse(issuer)) {
    return yield* misconfigured("InvalidIssuer", "the issuer must be the exact URL its tokens carry in iss")
  }
  const jwksUri = options.jwksUri ?? `${issuer.replace(/\/+$/, "")}/.well-known/jwks.json`
  const insecure = checkJwksUri(jwksUri)
  if (insecure !== undefined) return yield* insecure
  const algorithms = options.algorithms ?? ["RS256"]
  if (algorithms.length === 0) return yield* misconfigured("InvalidAlgorithm", "the algorithm allowlist is empty")
  for (const alg of algorithms) {
    if (!isAlgorithm(alg)) {
      return yield* misconfigured(
        "InvalidAlgorithm",
        `${JSON.stringify(alg)} is not an asymmetric JWS algorithm (RS256/384/512, PS256/384/512, ES256/384/512, EdDSA)`
      )
    }
  }
  if (options.clientIds === undefined && options.audiences === undefined) {
    return yield* misconfigured(
      "MissingAudience",
      `set clientIds (or clientIds: "any") or audiences, so that tokens issued to other clients of ${issuer} are refused`
    )
  }
  if (Array.isArray(options.clientIds) && options.clientIds.length === 0) {
    return yield* misconfigured("MissingAudience", "clientIds is empty: no token could pass")
  }
  if (options.audiences !== undefined && options.audiences.length === 0) {
    return yield* misconfigured("MissingAudience", "audiences is empty: no token could pass")
  }
  const tolerance = yield* duration("clockTolerance", options.clockTolerance, "5 seconds", true)
  const timeout = yield* duration("jwks.timeout", options.jwks?.timeout, "5 seconds", false)
  const cooldown = yield* duration("jwks.cooldown", options.jwks?.cooldown, "30 seconds", true)
  const maxAge = yield* duration("jwks.maxAge", options.jwks?.maxAge, "10 minutes", false)
  const maxBytes = yield* count("jwks.maxBytes", options.jwks?.maxBytes, 128 * 1024, 1)
  const maxTokenLength = yield* count("maxTokenLength", options.maxTokenLength, 8192, 1)
  const capacity = yield* count("cache.capacity", options.cache?.capacity, 0, 0)

  const engine = new Engine({
    issuer,
    algorithms: new Set(algorithms),
    tokenUse: asList(options.tokenUse),
    clientIds: options.clientIds,
    audiences: options.audiences,
    scopes: options.scopes,
    toleranceSeconds: Duration.toMillis(tolerance) / 1000,
    maxTokenLength,
    cacheCapacity: capacity
  })
  const source = yield* makeKeySource({
    engine,
    client,
    settings: { uri: jwksUri, timeout, cooldown, maxAge, maxBytes },
    clock: yield* Effect.clock,
    scope: yield* Effect.scope
  })

  const settle = (outcome: Outcome): Effect.Effect<Claims, InvalidToken | AccessDenied | JwksUnavailable> => {
    if (outcome instanceof UnknownKid) {
      return Effect.fail(
        new InvalidToken({ reason: "UnknownKey", description: `the issuer does not publish the key ${JSON.stringify(outcome.kid.slice(0, 64))}` }, true)
      )
    }
    return outcome instanceof InvalidToken || outcome instanceof AccessDenied ? Effect.fail(outcome) : Effect.succeed(outcome)
  }

  const service: JwtVerifier.JwtVerifierService = {
    issuers: [issuer],
    verify: (token, expectations) =>
      Effect.clockWith((clock) => {
        const outcome = engine.verify(token, clock.unsafeCurrentTimeMillis(), expectations)
        if (!(outcome instanceof UnknownKid)) return settle(outcome)
        // A key not seen yet may be a rotation: look again (within the cooldown) and retry once.
        return Effect.flatMap(source.lookup(outcome.kid), (found) =>
          settle(found ? engine.verify(token, clock.unsafeCurrentTimeMillis(), expectations) : outcome))
      }),
    hydrate: source.refresh,
    keyIds: Effect.sync(() => engine.keyIds)
  }
  syncPaths.set(service, (token, now, expectations) => engine.verify(token, now, expectations))
  return service
})

/** Longest token the combined verifier decodes to read its issuer. */
const MAX_ROUTED_LENGTH = 65536

/**
 * One verifier over several issuers: each token goes to the verifier of the `iss` it claims (read
 * before the signature only to choose; that verifier checks `iss` again after it).
 */
export const combine = (verifiers: ReadonlyArray<JwtVerifier.JwtVerifierService>): JwtVerifier.JwtVerifierService => {
  if (verifiers.length === 1) return verifiers[0]!
  const byIssuer = new Map<string, JwtVerifier.JwtVerifierService>()
  for (const verifier of verifiers) for (const issuer of verifier.issuers) byIssuer.set(issuer, verifier)
  const issuers = [...byIssuer.keys()]
  const pick = (token: string): JwtVerifier.JwtVerifierService | InvalidToken => {
    // A size cap first: the payload is decoded here, before any verifier's own cap applies.
    if (token.length > MAX_ROUTED_LENGTH) {
      return new InvalidToken({ reason: "TooLarge", description: `the token is longer than ${MAX_ROUTED_LENGTH} characters` }, true)
    }
    const issuer = peekIssuer(token)
    if (issuer === undefined) return new InvalidToken({ reason: "Malformed", description: "the token is not a JWT" }, true)
    return (issuer === null ? undefined : byIssuer.get(issuer)) ??
      new InvalidToken({ reason: "WrongIssuer", description: `the token was not issued by ${issuers.join(" or ")}` }, true)
  }
  const service: JwtVerifier.JwtVerifierService = {
    issuers,
    verify: (token, expectations) => {
      const verifier = pick(token)
      return verifier instanceof InvalidToken ? Effect.fail(verifier) : verifier.verify(token, expectations)
    },
    hydrate: Effect.asVoid(Effect.all(verifiers.map((verifier) => verifier.hydrate), { concurrency: "unbounded", discard: true })),
    keyIds: Effect.map(Effect.all(verifiers.map((verifier) => verifier.keyIds)), (ids) => ids.flat())
  }
  syncPaths.set(service, (token, now, expectations) => {
    const verifier = pick(token)
    if (verifier instanceof InvalidToken) return verifier
    const path = syncPaths.get(verifier)
    // A verifier built elsewhere has no synchronous path: send the caller down the Effect one.
    return path === undefined ? new UnknownKid("") : path(token, now, expectations)
  })
  return service
}
