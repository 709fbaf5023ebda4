/**
 * The synchronous heart of JWT verification: plain code over `node:crypto`, no Effect, no I/O, no
 * clock of its own (the caller passes the time), so that the hot path costs little more than the
 * signature check itself. Everything asynchronous (fetching keys) lives in `jwks.ts`.
 *
 * The order matters: structure and size, then the header (algorithm, key id, `crit`), then the
 * signature, and only then is the payload decoded and believed.
 *
 * @internal
 */
import { AccessDenied, InvalidToken } from "../VerifyError.js"
import { isCanonical } from "./base64url.js"
import { type Algorithm, bind, isAlgorithm, type Key, type SignatureCheck } from "./jwk.js"
import * as Scopes from "./scopes.js"

/** The verified payload of a token. Frozen when it comes from the cache, which shares it between requests. */
export type Claims = Readonly<Record<string, unknown>> & {
  readonly iss: string
  readonly exp: number
}

export interface Settings {
  readonly issuer: string
  readonly algorithms: ReadonlySet<Algorithm>
  readonly tokenUse: ReadonlyArray<string> | undefined
  readonly clientIds: ReadonlyArray<string> | "any" | undefined
  readonly audiences: ReadonlyArray<string> | undefined
  readonly scopes: Scopes.Requirement | undefined
  readonly toleranceSeconds: number
  readonly maxTokenLength: number
  /** Verified tokens kept until they expire; 0 turns the cache off. */
  readonly cacheCapacity: number
}

export interface Expectations {
  readonly scopes?: Scopes.Requirement | undefined
  readonly tokenUse?: string | ReadonlyArray<string> | undefined
}

/** The token names a key the cached set does not have: the caller may fetch the set and try again. */
export class UnknownKid {
  constructor(readonly kid: string) {}
}

export type Outcome = Claims | InvalidToken | AccessDenied | UnknownKid

interface CachedToken {
  readonly token: string
  readonly claims: Claims
  scopes: ReadonlyArray<string> | undefined
}

// The verified-token cache is keyed by the token's last characters (192 bits of its signature),
// not the whole token: a server gets each request's header as a new string, and hashing 1 KB
// for every lookup would cost more than the rest of a hit. A hit still requires the whole token
// to be equal, so a collision is only a miss.
const CACHE_KEY_CHARS = 32

// Header segments seen so far, with the key and check they resolved to. A signer uses one header
// per key, so this stays tiny, and it saves decoding and parsing a header on every request.
const HEADER_CACHE_SIZE = 64

const invalid = (reason: InvalidToken["reason"], description: string) => new InvalidToken({ reason, description }, true)

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const parseJson = (text: string): unknown => {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const decodeJson = (text: string): unknown => parseJson(Buffer.from(text, "base64url").toString("utf8"))

/**
 * Freezes the claims and their arrays and objects one level down (`cognito:groups`, `aud`), which
 * is as deep as tokens nest in practice.
 */
const freeze = (claims: Record<string, unknown>): Claims => {
  for (const value of Object.values(claims)) {
    if (typeof value === "object" && value !== null) Object.freeze(value)
  }
  return Object.freeze(claims) as Claims
}

export class Engine {
  private keys: ReadonlyMap<string, Key> = new Map()
  private keysFingerprint = ""
  private readonly headers = new Map<string, { readonly check: SignatureCheck }>()
  private readonly tokens = new Map<string, CachedToken>()
  // Scratch buffers reused by every call: the signing input (then the decoded payload) and the signature.
  private readonly input: Buffer
  private readonly signature: Buffer

  constructor(readonly settings: Settings) {
    this.input = Buffer.allocUnsafe(settings.maxTokenLength)
    this.signature = Buffer.allocUnsafe(Math.ceil(settings.maxTokenLength * 3 / 4))
  }

  get keyIds(): ReadonlyArray<string> {
    return [...this.keys.keys()]
  }

  hasKey(kid: string): boolean {
    return this.keys.has(kid)
  }

  /**
   * Replaces the trusted keys. A key missing from the new set stops being trusted at once, and the
   * caches built on the old set are dropped (only when the set really changed, so a routine
   * refresh keeps them warm).
   */
  setKeys(keys: ReadonlyArray<Key>): void {
    const fingerprint = keys.map((key) => key.fingerprint).sort().join("\n")
    if (fingerprint === this.keysFingerprint) return
    this.keys = new Map(keys.map((key) => [key.kid, key]))
    this.keysFingerprint = fingerprint
    this.headers.clear()
    this.tokens.clear()
  }

  verify(token: string, nowMillis: number, expectations: Expectations | undefined): Outcome {
    const settings = this.settings
    if (token.length === 0) return invalid("Malformed", "the token is empty")
    if (token.length > settings.maxTokenLength) {
      return invalid("TooLarge", `the token is longer than ${settings.maxTokenLength} characters`)
    }
    const cacheKey = settings.cacheCapacity > 0 && token.length > CACHE_KEY_CHARS ? token.slice(-CACHE_KEY_CHARS) : undefined
    if (cacheKey !== undefined) {
      const cached = this.tokens.get(cacheKey)
      if (cached !== undefined && cached.token === token) {
        const timing = this.checkTime(cached.claims, nowMillis)
        if (timing !== undefined) {
          this.tokens.delete(cacheKey)
          return timing
        }
        return this.checkExpectations(cached, expectations)
      }
    }

    const firstDot = token.indexOf(".")
    const secondDot = firstDot < 0 ? -1 : token.indexOf(".", firstDot + 1)
    if (secondDot < 0 || token.indexOf(".", secondDot + 1) >= 0) {
      return invalid("Malformed", "the token is not a JWS in compact form (three dot-separated parts)")
    }
    // Strict base64url where a lenient reading could matter. The signature is checked on every
    // request, as it is decoded below: it is the one part that could be spelt several ways and
    // still verify. The header is checked when first seen (the cache holds only headers that
    // passed). The payload needs no check of its own: it is signed as text, so any other spelling
    // of it fails the signature. An empty signature (an `alg: none` token) is left for the
    // algorithm check to refuse by name.
    const headerText = token.slice(0, firstDot)
    let resolved = this.headers.get(headerText)
    if (resolved === undefined) {
      if (!isCanonical(token, 0, firstDot)) return invalid("NonCanonicalEncoding", "the header is not canonical base64url")
      const outcome = this.resolveHeader(headerText)
      if (!(typeof outcome === "function")) return outcome
      resolved = { check: outcome }
      if (this.headers.size >= HEADER_CACHE_SIZE) this.headers.delete(this.headers.keys().next().value!)
      this.headers.set(headerText, resolved)
    }

    let valid: boolean
    try {
      // The signing input goes into a buffer reused across calls (the check is synchronous, so no
      // other call can touch it meanwhile). UTF-8, not latin1: latin1 would write "Ł" (U+0141) as
      // the byte of "A", so a changed payload could keep the signed bytes while decoding
      // differently; in UTF-8 any character outside ASCII becomes bytes no issuer signed.
      const written = this.input.write(token, 0, secondDot, "utf8")
      const signatureText = token.slice(secondDot + 1)
      const signatureLength = this.signature.write(signatureText, "base64url")
      // Canonical if it is exactly what encoding its own bytes gives back: Node's encoder writes
      // only the alphabet, no padding and zero spare bits. Cheaper than scanning the text.
      if (signatureText.length > 0 && this.signature.toString("base64url", 0, signatureLength) !== signatureText) {
        return invalid("NonCanonicalEncoding", "the signature is not canonical base64url")
      }
      valid = written === secondDot &&
        resolved.check(this.input.subarray(0, secondDot), this.signature.subarray(0, signatureLength))
    } catch {
      valid = false
    }
    if (!valid) return invalid("InvalidSignature", "the signature does not verify")

    // From here on the payload is the issuer's own words.
    const payloadLength = this.input.write(token.slice(firstDot + 1, secondDot), "base64url")
    const payload = parseJson(this.input.toString("utf8", 0, payloadLength))
    if (!isRecord(payload)) return invalid("Malformed", "the payload is not a JSON object")
    const stable = this.checkIssuerClaims(payload)
    if (stable !== undefined) return stable
    const timing = this.checkTime(payload as Claims, nowMillis)
    if (timing !== undefined) return timing
    if (cacheKey === undefined) {
      return expectations === undefined && settings.scopes === undefined
        ? payload as Claims
        : this.checkExpectations({ token, claims: payload as Claims, scopes: undefined }, expectations)
    }
    // Cached claims are handed to every request that presents the token: frozen, so that no
    // handler can change what the next one sees.
    const entry: CachedToken = { token, claims: freeze(payload), scopes: undefined }
    if (this.tokens.size >= settings.cacheCapacity && !this.tokens.has(cacheKey)) {
      this.tokens.delete(this.tokens.keys().next().value!)
    }
    this.tokens.set(cacheKey, entry)
    return this.checkExpectations(entry, expectations)
  }

  private resolveHeader(headerText: string): SignatureCheck | InvalidToken | UnknownKid {
    const header = decodeJson(headerText)
    if (!isRecord(header)) return invalid("Malformed", "the header is not a JSON object")
    // RFC 7515 §4.1.11: an extension the recipient does not understand must be refused, and toshi
    // understands none.
    if (header["crit"] !== undefined) {
      return invalid("UnsupportedCriticalHeader", "the header lists critical extensions this verifier does not support")
    }
    const alg = header["alg"]
    if (!isAlgorithm(alg) || !this.settings.algorithms.has(alg)) {
      return invalid(
        "AlgorithmNotAllowed",
        `the algorithm ${typeof alg === "string" ? JSON.stringify(alg.slice(0, 16)) : "(none)"} is not one of ${
          [...this.settings.algorithms].join(", ")
        }`
      )
    }
    const kid = header["kid"]
    if (typeof kid !== "string" || kid === "") return invalid("MissingKeyId", "the header has no kid")
    const key = this.keys.get(kid)
    if (key === undefined) return new UnknownKid(kid)
    const check = bind(alg, key)
    return typeof check === "string" ? invalid("KeyMismatch", check) : check
  }

  /** Claims that do not change with time or with the route: checked once per token, then cached. */
  private checkIssuerClaims(claims: Record<string, unknown>): InvalidToken | undefined {
    const settings = this.settings
    if (claims["iss"] !== settings.issuer) return invalid("WrongIssuer", `the token was not issued by ${settings.issuer}`)
    const exp = claims["exp"]
    if (typeof exp !== "number" || !Number.isFinite(exp)) return invalid("MissingExpiry", "the token has no numeric exp")
    const nbf = claims["nbf"]
    if (nbf !== undefined && (typeof nbf !== "number" || !Number.isFinite(nbf))) return invalid("Malformed", "the token's nbf is not a number")
    const iat = claims["iat"]
    if (iat !== undefined && (typeof iat !== "number" || !Number.isFinite(iat))) return invalid("Malformed", "the token's iat is not a number")
    if (settings.tokenUse !== undefined && !settings.tokenUse.includes(claims["token_use"] as string)) {
      return invalid("WrongTokenUse", `the token's token_use is not ${settings.tokenUse.join(" or ")}`)
    }
    const clientIds = settings.clientIds
    if (clientIds !== undefined && clientIds !== "any") {
      // Cognito names the client in `client_id` on access tokens and in `aud` on ID tokens.
      const clientId = claims["client_id"]
      const candidates = typeof clientId === "string" ? [clientId] : audienceOf(claims)
      if (!candidates.some((candidate) => clientIds.includes(candidate))) {
        return invalid("WrongClient", "the token was issued to a client this API does not accept")
      }
    }
    const audiences = settings.audiences
    if (audiences !== undefined && !audienceOf(claims).some((aud) => audiences.includes(aud))) {
      return invalid("WrongAudience", `the token's audience is not ${audiences.join(" or ")}`)
    }
    return undefined
  }

  private checkTime(claims: Claims, nowMillis: number): InvalidToken | undefined {
    const now = nowMillis / 1000
    const tolerance = this.settings.toleranceSeconds
    if (now - tolerance >= claims.exp) return invalid("Expired", "the token has expired")
    const nbf = claims["nbf"] as number | undefined
    if (nbf !== undefined && nbf > now + tolerance) return invalid("NotYetValid", "the token is not valid yet (nbf)")
    const iat = claims["iat"] as number | undefined
    if (iat !== undefined && iat > now + tolerance) return invalid("IssuedInFuture", "the token was issued in the future (iat)")
    return undefined
  }

  private checkExpectations(entry: CachedToken, expectations: Expectations | undefined): Outcome {
    const issuerScopes = this.settings.scopes
    if (expectations === undefined && issuerScopes === undefined) return entry.claims
    if (expectations?.tokenUse !== undefined) {
      const allowed = typeof expectations.tokenUse === "string" ? [expectations.tokenUse] : expectations.tokenUse
      if (!allowed.includes(entry.claims["token_use"] as string)) {
        return invalid("WrongTokenUse", `the token's token_use is not ${allowed.join(" or ")}`)
      }
    }
    for (const requirement of [issuerScopes, expectations?.scopes]) {
      if (requirement === undefined) continue
      const granted = entry.scopes ??= Scopes.ofClaims(entry.claims)
      const missing = Scopes.missing(granted, requirement)
      if (missing !== undefined) return new AccessDenied({ reason: "InsufficientScope", description: missing }, true)
    }
    return entry.claims
  }
}

const audienceOf = (claims: Readonly<Record<string, unknown>>): ReadonlyArray<string> => {
  const aud = claims["aud"]
  if (typeof aud === "string") return [aud]
  if (Array.isArray(aud)) return aud.filter((a): a is string => typeof a === "string")
  return []
}

/**
 * The `iss` of a token (`null` when it has none, `undefined` when it is not a JWT at all), read
 * without checking anything: only to pick which issuer's verifier checks it (and that verifier
 * checks `iss` again, after the signature).
 */
export const peekIssuer = (token: string): string | null | undefined => {
  const firstDot = token.indexOf(".")
  const secondDot = firstDot < 0 ? -1 : token.indexOf(".", firstDot + 1)
  if (secondDot < 0) return undefined
  const payload = decodeJson(token.slice(firstDot + 1, secondDot))
  if (!isRecord(payload)) return undefined
  return typeof payload["iss"] === "string" ? payload["iss"] : null
}
