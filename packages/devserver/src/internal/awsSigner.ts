import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  type JSONWebKeySet,
  type JWTPayload,
  type JWTVerifyGetKey,
  SignJWT
} from "jose"

/** The user pool's signing key: what it signs with, and what it publishes as its JWKS. */
export interface Signer {
  readonly jwks: JSONWebKeySet
  /** The published keys, for verifying the pool's own tokens without an HTTP round trip. */
  readonly keys: JWTVerifyGetKey
  /** Signs `claims` as an RS256 JWT, adding `iss`, `iat` and `exp = iat + ttl`. */
  readonly sign: (claims: JWTPayload, ttl: number) => Promise<string>
}

export const makeSigner = async (issuer: string): Promise<Signer> => {
  const { privateKey, publicKey } = await generateKeyPair("RS256")
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  const jwks: JSONWebKeySet = { keys: [{ ...jwk, kid, alg: "RS256", use: "sig" }] }
  return {
    jwks,
    keys: createLocalJWKSet(jwks),
    sign: (claims, ttl) => {
      const iat = Math.floor(Date.now() / 1000)
      return new SignJWT({ ...claims, iss: issuer, iat, exp: iat + ttl })
        .setProtectedHeader({ alg: "RS256", kid })
        .sign(privateKey)
    }
  }
}
