/**
 * The Promise facade behind a plain `node:http` server, with Cognito-shaped tokens from the AWS
 * emulator, API keys in a SQLite file, and a JWKS server of our own for the outage cases.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type LocalAws, startAws } from "@toshi/devserver"
import * as Fs from "node:fs"
import { createServer, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import { ApiKeys, JwtVerifier, Principal, VerifyRequest } from "../src/index.js"
import { closedPortUrl, makeKey, sign, startJwksServer } from "./utils.js"

let aws: LocalAws
let dir: string
let keyFile: string
let auth: VerifyRequest.RequestVerifier
let server: Server
let base: string
let liveKey: string
let revokedKey: string

const cognito = (): JwtVerifier.Options => ({
  issuer: aws.issuer,
  jwksUri: aws.jwksUri,
  tokenUse: "access",
  clientIds: [aws.otpClientId, "toshi-m2m", "toshi-reader"]
})

beforeAll(async () => {
  aws = await startAws({
    m2mClients: [
      { clientId: "toshi-m2m", clientSecret: "s1", scopes: ["toshi/api"] },
      { clientId: "toshi-reader", clientSecret: "s2", scopes: ["toshi/read"] }
    ]
  })
  dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "toshi-verify-"))
  keyFile = Path.join(dir, "keys.db")
  // Keys created by an admin tool beforehand, in the file the server then opens.
  ;[liveKey, revokedKey] = await Effect.runPromise(
    Effect.gen(function*() {
      const keys = yield* ApiKeys.ApiKeys
      const live = yield* keys.create({ owner: "batch" })
      const revoked = yield* keys.create({ owner: "batch" })
      yield* keys.revoke(revoked.id)
      return [Redacted.value(live.key), Redacted.value(revoked.key)] as const
    }).pipe(Effect.provide(ApiKeys.layerSqlite(keyFile)))
  )
  auth = await VerifyRequest.make({
    verifier: cognito(),
    apiKeys: { sqlite: keyFile },
    machineScope: (scope) => scope.endsWith("/api")
  })
  // The framework-neutral way: a plain node:http server.
  server = createServer(async (request, response) => {
    const result = await auth.verifyRequest(request.headers)
    if (!result.ok) {
      response.writeHead(result.status, { ...result.headers, "content-type": "application/json" })
      return response.end(JSON.stringify({ reason: result.error.reason, message: result.error.message }))
    }
    response.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ who: Principal.describe(result.principal) }))
  })
  await new Promise<void>((resolve) => server.listen({ host: "127.0.0.1", port: 0 }, resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()))
  await auth?.dispose()
  await aws?.stop()
  if (dir) Fs.rmSync(dir, { recursive: true, force: true })
})

const m2mToken = async (clientId: string, secret: string) => {
  const response = await fetch(`${aws.domain}/oauth2/token`, {
    method: "POST",
    headers: { authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString("base64")}` },
    body: new URLSearchParams({ grant_type: "client_credentials" })
  })
  return ((await response.json()) as { access_token: string }).access_token
}

const get = async (headers: Record<string, string>) => {
  const response = await fetch(base, { headers })
  return { status: response.status, challenge: response.headers.get("www-authenticate"), body: await response.json() as any }
}

describe("VerifyRequest behind a node:http server", () => {
  it("a machine token with the API scope passes; without it, 403 with an insufficient_scope challenge", async () => {
    const ok = await get({ authorization: `Bearer ${await m2mToken("toshi-m2m", "s1")}` })
    assert.deepStrictEqual([ok.status, ok.body.who], [200, "machine:toshi-m2m"])
    const denied = await get({ authorization: `Bearer ${await m2mToken("toshi-reader", "s2")}` })
    assert.deepStrictEqual([denied.status, denied.body.reason, denied.challenge], [403, "InsufficientScope", `Bearer error="insufficient_scope"`])
  })

  it("no credentials: 401 with a bare Bearer challenge; a bad token: invalid_token", async () => {
    const none = await get({})
    assert.deepStrictEqual([none.status, none.body.reason, none.challenge], [401, "MissingCredentials", "Bearer"])
    const bad = await get({ authorization: "Bearer abc.def.ghi" })
    assert.deepStrictEqual([bad.status, bad.challenge], [401, `Bearer error="invalid_token"`])
    assert.include(bad.body.message, "rejected")
  })

  it("API keys from the SQLite file: live passes, revoked is refused", async () => {
    const live = await get({ "x-api-key": liveKey })
    assert.deepStrictEqual([live.status, live.body.who.startsWith("apikey:")], [200, true])
    assert.strictEqual((await get({ authorization: `Bearer ${liveKey}` })).status, 200)
    const revoked = await get({ "x-api-key": revokedKey })
    assert.deepStrictEqual([revoked.status, revoked.body.reason], [401, "RevokedApiKey"])
  })

  it("a token signed by a key the issuer does not publish is refused", async () => {
    const stranger = await makeKey("RS256", "stranger")
    const token = await sign(stranger, { iss: aws.issuer, client_id: "toshi-m2m", token_use: "access", scope: "toshi/api", exp: Math.floor(Date.now() / 1000) + 60 })
    const result = await get({ authorization: `Bearer ${token}` })
    assert.deepStrictEqual([result.status, result.body.reason], [401, "UnknownKey"])
  })
})

describe("VerifyRequest.verifyRequest itself", () => {
  it("takes Node's headers, a hand-built record with capitals, or a fetch Headers", async () => {
    const token = await m2mToken("toshi-m2m", "s1")
    for (const headers of [{ authorization: `Bearer ${token}` }, { Authorization: `Bearer ${token}` }, new Headers({ Authorization: `Bearer ${token}` })]) {
      const result = await auth.verifyRequest(headers)
      assert.isTrue(result.ok)
      if (result.ok) assert.strictEqual(result.principal._tag, "Machine")
    }
  })

  it("two Authorization values in one request are refused", async () => {
    const token = await m2mToken("toshi-m2m", "s1")
    const result = await auth.verifyRequest({ authorization: [`Bearer ${token}`, `Bearer ${token}`] })
    assert.isFalse(result.ok)
    if (!result.ok) assert.deepStrictEqual([result.status, result.error.reason], [401, "Malformed"])
  })

  it("make rejects at start-up with the typed error when the JWKS cannot be loaded or the options are wrong", async () => {
    const down = await VerifyRequest.make({ verifier: { ...cognito(), jwksUri: await closedPortUrl() } }).then(
      () => undefined,
      (error: unknown) => error
    )
    assert.strictEqual((down as { _tag?: string })._tag, "JwksUnavailable")
    const insecure = await VerifyRequest.make({ verifier: { ...cognito(), jwksUri: "http://example.com/jwks" } }).then(
      () => undefined,
      (error: unknown) => error
    )
    assert.strictEqual((insecure as { _tag?: string; reason?: string }).reason, "InsecureJwksUri")
  })

  it("fromRuntime: a JWKS outage after start-up answers 503 for keys it must fetch, and keeps serving known keys", async () => {
    const jwks = await startJwksServer()
    const known = await makeKey("ES256", "known")
    jwks.keys = [known.jwk]
    const runtime = ManagedRuntime.make(
      JwtVerifier.layer({ issuer: jwks.issuer, jwksUri: jwks.jwksUri, algorithms: ["ES256"], clientIds: ["app"], jwks: { cooldown: 0 } }).pipe(
        Layer.provide(FetchHttpClient.layer)
      )
    )
    try {
      const verifier = await VerifyRequest.fromRuntime(runtime, { machineScope: "api" })
      const claims = { iss: jwks.issuer, sub: "u1", client_id: "app", exp: Math.floor(Date.now() / 1000) + 60 }
      jwks.mode = "reset"
      const fresh = await makeKey("ES256", "rotated")
      const unknown = await verifier.verifyRequest({ authorization: `Bearer ${await sign(fresh, claims)}` })
      assert.isFalse(unknown.ok)
      if (!unknown.ok) {
        assert.deepStrictEqual([unknown.status, unknown.error._tag], [503, "JwksUnavailable"])
        assert.deepStrictEqual(unknown.headers, {})
      }
      const ok = await verifier.verifyRequest({ authorization: `Bearer ${await sign(known, claims)}` })
      assert.isTrue(ok.ok)
      // API keys were not configured: a key-shaped bearer is just a malformed token.
      const key = await verifier.verifyRequest({ authorization: `Bearer sv_${"0".repeat(16)}_${"0".repeat(64)}`, "x-api-key": "ignored" })
      assert.deepStrictEqual(key.ok ? undefined : key.error.reason, "Malformed")
    } finally {
      await runtime.dispose()
      await jwks.stop()
    }
  })
})
