/**
 * Public signing keys from a JWKS, turned into `node:crypto` key objects once, and the binding of
 * each JWS algorithm to the one key type (and curve) it may be used with.
 *
 * @internal
 */
import * as Crypto from "node:crypto"

/** The asymmetric JWS algorithms toshi verifies. Symmetric (`HS*`) and `none` are never accepted. */
export const algorithms = [
  "RS256",
  "RS384",
  "RS512",
  "PS256",
  "PS384",
  "PS512",
  "ES256",
  "ES384",
  "ES512",
  "EdDSA"
] as const

export type Algorithm = typeof algorithms[number]

export const isAlgorithm = (u: unknown): u is Algorithm => typeof u === "string" && (algorithms as ReadonlyArray<string>).includes(u)

/** A usable public key of the set. */
export interface Key {
  readonly kid: string
  readonly kty: "RSA" | "EC" | "OKP"
  readonly crv: string | undefined
  /** The JWK's own `alg`, when it names one: the key is then bound to that algorithm alone. */
  readonly alg: string | undefined
  readonly object: Crypto.KeyObject
  /** For RSA keys: the signature length in bytes. */
  readonly modulusBytes: number
  /** The key's public material, to tell a changed set from a re-fetched identical one. */
  readonly fingerprint: string
}

const MIN_RSA_BITS = 2048
const EC_CURVES: Record<string, number> = { "P-256": 64, "P-384": 96, "P-521": 132 }
const OKP_CURVES = new Set(["Ed25519", "Ed448"])

const str = (u: unknown): string | undefined => (typeof u === "string" && u !== "" ? u : undefined)

/**
 * Imports one JWK of a set, or says why it cannot be used. Only the public members are handed to
 * `node:crypto`, so a JWKS that leaks a private member is still read as a public key.
 */
export const importKey = (jwk: unknown): Key | string => {
  if (typeof jwk !== "object" || jwk === null || Array.isArray(jwk)) return "is not an object"
  const record = jwk as Record<string, unknown>
  const kid = str(record["kid"])
  if (kid === undefined) return "has no kid"
  if (record["use"] !== undefined && record["use"] !== "sig") return `(${kid}) is not a signing key`
  const ops = record["key_ops"]
  if (ops !== undefined && !(Array.isArray(ops) && ops.includes("verify"))) return `(${kid}) is not for verification`
  if (record["alg"] !== undefined && typeof record["alg"] !== "string") return `(${kid}) has a malformed alg`
  const alg = str(record["alg"])
  const kty = record["kty"]
  let material: Record<string, unknown>
  let crv: string | undefined
  if (kty === "RSA") {
    material = { kty, n: record["n"], e: record["e"] }
  } else if (kty === "EC") {
    crv = str(record["crv"])
    if (crv === undefined || !(crv in EC_CURVES)) return `(${kid}) uses an unsupported curve`
    material = { kty, crv, x: record["x"], y: record["y"] }
  } else if (kty === "OKP") {
    crv = str(record["crv"])
    if (crv === undefined || !OKP_CURVES.has(crv)) return `(${kid}) uses an unsupported curve`
    material = { kty, crv, x: record["x"] }
  } else {
    return `(${kid}) has an unsupported key type`
  }
  for (const [name, value] of Object.entries(material)) {
    if (typeof value !== "string") return `(${kid}) lacks its "${name}" member`
  }
  let object: Crypto.KeyObject
  try {
    object = Crypto.createPublicKey({ key: material as Crypto.JsonWebKey, format: "jwk" })
  } catch {
    return `(${kid}) is not a valid public key`
  }
  let modulusBytes = 0
  if (kty === "RSA") {
    const bits = object.asymmetricKeyDetails?.modulusLength ?? 0
    if (bits < MIN_RSA_BITS) return `(${kid}) is an RSA key shorter than ${MIN_RSA_BITS} bits`
    modulusBytes = Math.ceil(bits / 8)
  }
  return {
    kid,
    kty,
    crv,
    alg,
    object,
    modulusBytes,
    fingerprint: `${kid}|${alg ?? ""}|${Object.values(material).join("|")}`
  }
}

/** Checks a signature over the signing input: `node:crypto`, synchronous. */
export type SignatureCheck = (data: Buffer, signature: Buffer) => boolean

const digest = (alg: Algorithm): string => alg === "EdDSA" ? "" : `sha${alg.slice(2)}`

/**
 * The signature check for a token whose header says `alg` and names `key`, or why the pair is
 * refused: the algorithm must match the key's type and curve, and the key's own `alg` if it has one.
 * This is what stops an RSA-signed token labelled ES256, or a token "signed" with HS256 and the
 * public key as its secret (HS256 is not in any allowlist in the first place).
 */
export const bind = (alg: Algorithm, key: Key): SignatureCheck | string => {
  if (key.alg !== undefined && key.alg !== alg) return `key ${key.kid} is for ${key.alg}, not ${alg}`
  const family = alg.slice(0, 2)
  if (family === "RS" || family === "PS") {
    if (key.kty !== "RSA") return `${alg} needs an RSA key, and key ${key.kid} is ${key.kty}`
    const hash = digest(alg)
    const length = key.modulusBytes
    // PKCS #1 v1.5 is the default padding of an RSA key object: pass the key itself, as the raw
    // check does, rather than an options object Node would unpack on every call.
    const input: Crypto.VerifyKeyObjectInput | Crypto.KeyObject = family === "PS"
      ? { key: key.object, padding: Crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 }
      : key.object
    return (data, signature) => signature.length === length && Crypto.verify(hash, data, input, signature)
  }
  if (family === "ES") {
    const curve = alg === "ES256" ? "P-256" : alg === "ES384" ? "P-384" : "P-521"
    if (key.kty !== "EC" || key.crv !== curve) return `${alg} needs an EC ${curve} key, and key ${key.kid} is not one`
    const hash = digest(alg)
    const length = EC_CURVES[curve]!
    // JWS carries ECDSA signatures as the fixed-width r || s (RFC 7518 §3.4), not DER.
    const input: Crypto.VerifyKeyObjectInput = { key: key.object, dsaEncoding: "ieee-p1363" }
    return (data, signature) => signature.length === length && Crypto.verify(hash, data, input, signature)
  }
  // EdDSA (RFC 8037): Ed25519 or Ed448, the curve given by the key; no separate digest.
  if (key.kty !== "OKP") return `EdDSA needs an OKP key, and key ${key.kid} is ${key.kty}`
  const length = key.crv === "Ed25519" ? 64 : 114
  return (data, signature) => signature.length === length && Crypto.verify(null, data, key.object, signature)
}
