/**
 * A JWKS server on 127.0.0.1 whose keys and behaviour the test controls (rotation, removal, an
 * outage, a slow or redirecting or lying server), and keys to sign honest and hostile tokens with.
 */
import * as Crypto from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import * as jose from "jose"

export type Mode =
  | "ok"
  | "reset"
  | "slow"
  | "redirect"
  | "garbage"
  | "status500"
  | "huge"
  | "hugeChunked"
  | "noKeysArray"
  | "unusableKeys"

export interface JwksServer {
  /** `http://127.0.0.1:{port}`: also the issuer of the tokens signed for it. */
  readonly issuer: string
  readonly jwksUri: string
  /** The public JWKs served, in order. */
  keys: Array<jose.JWK>
  mode: Mode
  /** GETs of the JWKS path so far (in every mode). */
  fetches: number
  /** GETs of the redirect target (which serves the real set): must stay 0. */
  redirectTargetFetches: number
  readonly stop: () => Promise<void>
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen({ host: "127.0.0.1", port: 0 }, () => resolve((server.address() as AddressInfo).port))
  })

export const startJwksServer = async (keys: Array<jose.JWK> = []): Promise<JwksServer> => {
  const server = createServer()
  const port = await listen(server)
  const issuer = `http://127.0.0.1:${port}`
  const state: JwksServer = {
    issuer,
    jwksUri: `${issuer}/.well-known/jwks.json`,
    keys,
    mode: "ok",
    fetches: 0,
    redirectTargetFetches: 0,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
  const json = (response: ServerResponse, body: unknown) =>
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body))
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    if (request.url === "/moved/jwks.json") {
      state.redirectTargetFetches++
      return json(response, { keys: state.keys })
    }
    if (request.url !== "/.well-known/jwks.json") return response.writeHead(404).end()
    state.fetches++
    switch (state.mode) {
      case "ok":
        return json(response, { keys: state.keys })
      case "reset":
        return request.socket.destroy()
      case "slow":
        return // never answers; the client's timeout must end it
      case "redirect":
        return response.writeHead(302, { location: `${issuer}/moved/jwks.json` }).end()
      case "garbage":
        return response.writeHead(200, { "content-type": "application/json" }).end("<html>not a key set</html>")
      case "status500":
        return response.writeHead(500, { "content-type": "application/json" }).end(JSON.stringify({ keys: state.keys }))
      case "huge":
        return json(response, { keys: state.keys, padding: "x".repeat(300_000) })
      case "hugeChunked": {
        response.writeHead(200, { "content-type": "application/json" })
        response.write(`{"keys":${JSON.stringify(state.keys)},"padding":"`)
        for (let i = 0; i < 300; i++) response.write("x".repeat(1000))
        return response.end(`"}`)
      }
      case "noKeysArray":
        return json(response, { keys: "none" })
      case "unusableKeys":
        return json(response, { keys: [{ kty: "oct", kid: "s", k: "c2VjcmV0" }, { kty: "RSA", kid: "short" }] })
    }
  })
  return state
}

/** A URL on 127.0.0.1 where nothing listens. */
export const closedPortUrl = async (): Promise<string> => {
  const server = createServer()
  const port = await listen(server)
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return `http://127.0.0.1:${port}/.well-known/jwks.json`
}

export interface SigningKey {
  readonly kid: string
  readonly alg: string
  readonly privateKey: Crypto.KeyObject
  /** The public JWK, with `kid`, `alg` and `use`. */
  readonly jwk: jose.JWK
}

export const makeKey = async (alg: string, kid: string = `${alg.toLowerCase()}-${Crypto.randomUUID().slice(0, 8)}`, options?: {
  readonly crv?: string
  readonly withAlg?: boolean
}): Promise<SigningKey> => {
  const { privateKey, publicKey } = await jose.generateKeyPair(alg, { extractable: true, ...(options?.crv ? { crv: options.crv } : {}) })
  const jwk = await jose.exportJWK(publicKey)
  return {
    kid,
    alg,
    privateKey: Crypto.KeyObject.from(privateKey as Crypto.webcrypto.CryptoKey),
    jwk: { ...jwk, kid, use: "sig", ...(options?.withAlg === false ? {} : { alg }) }
  }
}

/** An honest token, signed by jose. */
export const sign = (key: SigningKey, claims: jose.JWTPayload, header: Partial<jose.JWTHeaderParameters> = {}) =>
  new jose.SignJWT(claims).setProtectedHeader({ alg: key.alg, kid: key.kid, ...header }).sign(key.privateKey)

const b64 = (value: string | Buffer) => Buffer.from(value).toString("base64url")

/**
 * A token assembled by hand, for what jose refuses to produce: any header (an unknown `crit`, a
 * wrong `alg` label), signed with `signer`'s key and algorithm whatever the header says.
 */
export const signRaw = (
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer?: { readonly key: Crypto.KeyObject; readonly alg: string }
): string => {
  const input = `${b64(JSON.stringify(header))}.${b64(JSON.stringify(payload))}`
  if (signer === undefined) return `${input}.`
  const data = Buffer.from(input)
  const family = signer.alg.slice(0, 2)
  const hash = signer.alg === "EdDSA" ? null : `sha${signer.alg.slice(2)}`
  const signature = family === "ES"
    ? Crypto.sign(hash, data, { key: signer.key, dsaEncoding: "ieee-p1363" })
    : family === "PS"
    ? Crypto.sign(hash, data, { key: signer.key, padding: Crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })
    : Crypto.sign(hash, data, signer.key)
  return `${input}.${b64(signature)}`
}

export const parts = (token: string) => {
  const [header, payload, signature] = token.split(".") as [string, string, string]
  return { header, payload, signature }
}

/** `segment` re-encoded from `json`, i.e. a payload changed after signing. */
export const encodeJson = (json: unknown) => b64(JSON.stringify(json))

export const decodeJson = (segment: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(segment, "base64url").toString("utf8"))

/** Polls `check` with real timers: for what happens on another fiber's real I/O. */
export const eventually = async (check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> => {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error("condition not reached in time")
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
}
