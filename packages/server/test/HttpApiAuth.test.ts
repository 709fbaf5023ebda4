/**
 * The example `HttpApi` server on loopback, driven by real tokens: Cognito-shaped ones from the AWS
 * emulator (M2M client credentials, and a CUSTOM_AUTH user's access and ID tokens) and generic
 * OpenID Connect ones from the devserver (client credentials and a password-grant user).
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type DevServer, type LocalAws, start, startAws } from "@toshi/devserver"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Scope from "effect/Scope"
import { ApiKeys } from "../src/index.js"
import * as Example from "./ExampleApi.js"

let oidc: DevServer
let aws: LocalAws
let scope: Scope.CloseableScope
let base: string
let keys: ApiKeys.ApiKeysService

const m2m = {
  api: { clientId: "toshi-m2m", clientSecret: "m2m-secret", scopes: ["toshi/api", "toshi/write"] },
  admin: { clientId: "toshi-admin", clientSecret: "admin-secret", scopes: ["toshi/api", "toshi/write", "toshi/admin"] },
  reader: { clientId: "toshi-reader", clientSecret: "reader-secret", scopes: ["toshi/read"] }
}
const OTP_USER = "ada@example.org"

beforeAll(async () => {
  ;[oidc, aws] = await Promise.all([start(), startAws({ m2mClients: Object.values(m2m), otpUsers: [OTP_USER] })])
  const alice = oidc.users.find((user) => user.totpSecret === undefined)!
  scope = Effect.runSync(Scope.make())
  const layer = Example.layer({
    verifiers: [
      // Cognito: access tokens only, from the pool's app clients.
      {
        issuer: aws.issuer,
        jwksUri: aws.jwksUri,
        tokenUse: "access",
        clientIds: [aws.otpClientId, ...Object.values(m2m).map((client) => client.clientId)],
        clockTolerance: "5 seconds"
      },
      // A generic OIDC issuer: access tokens for this API's resource, from any of its clients.
      { issuer: oidc.issuer, jwksUri: oidc.endpoints.jwks, audiences: [oidc.resource], clientIds: "any" }
    ],
    shopsByUser: { [OTP_USER]: ["42"], [alice.sub]: ["7"] }
  })
  const context = await Effect.runPromise(Layer.buildWithScope(layer, scope))
  base = await Effect.runPromise(Effect.provide(Example.baseUrl, context))
  keys = await Effect.runPromise(Effect.provide(ApiKeys.ApiKeys, context))
})
afterAll(async () => {
  if (scope !== undefined) await Effect.runPromise(Scope.close(scope, Exit.void))
  await Promise.all([oidc?.stop(), aws?.stop()])
})

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString("base64")}`

const tokenFrom = async (url: string, authorization: string, form: Record<string, string>) => {
  const response = await fetch(url, { method: "POST", headers: { authorization }, body: new URLSearchParams(form) })
  const body = await response.json() as Record<string, string>
  assert.strictEqual(response.status, 200, JSON.stringify(body))
  return body
}

const cognitoM2m = async (client: { clientId: string; clientSecret: string }) =>
  (await tokenFrom(`${aws.domain}/oauth2/token`, basic(client.clientId, client.clientSecret), { grant_type: "client_credentials" }))
    .access_token!

/** CUSTOM_AUTH with the emailed code, over the AWS JSON 1.1 protocol the SDK speaks. */
const cognitoUser = async () => {
  const call = async (operation: string, body: unknown) => {
    const response = await fetch(aws.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `AWSCognitoIdentityProviderService.${operation}` },
      body: JSON.stringify(body)
    })
    assert.strictEqual(response.status, 200)
    return response.json() as Promise<Record<string, any>>
  }
  const challenge = await call("InitiateAuth", { AuthFlow: "CUSTOM_AUTH", ClientId: aws.otpClientId, AuthParameters: { USERNAME: OTP_USER } })
  const result = await call("RespondToAuthChallenge", {
    ChallengeName: "CUSTOM_CHALLENGE",
    ClientId: aws.otpClientId,
    Session: challenge["Session"],
    ChallengeResponses: { USERNAME: OTP_USER, ANSWER: aws.sentCodes(OTP_USER).at(-1) }
  })
  return { access: result["AuthenticationResult"].AccessToken as string, id: result["AuthenticationResult"].IdToken as string }
}

const oidcM2m = async () =>
  (await tokenFrom(oidc.endpoints.token, basic(oidc.clients.confidential.clientId, oidc.clients.confidential.clientSecret), {
    grant_type: "client_credentials",
    resource: oidc.resource,
    scope: "read write"
  })).access_token!

const oidcUser = async () => {
  const alice = oidc.users.find((user) => user.totpSecret === undefined)!
  return (await tokenFrom(oidc.endpoints.token, basic(oidc.clients.password.clientId, oidc.clients.password.clientSecret), {
    grant_type: "password",
    username: alice.username,
    password: alice.password,
    scope: "openid read write"
  }))
}

const call = async (path: string, headers: Record<string, string> = {}, method = "GET") => {
  const response = await fetch(`${base}${path}`, { method, headers })
  const text = await response.text()
  return { status: response.status, body: text === "" ? undefined : JSON.parse(text) }
}
const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

describe("an HttpApi protected by toshi, with real tokens", () => {
  it("a Cognito user's access token: the principal is the user, with username", async () => {
    const { access } = await cognitoUser()
    const { body, status } = await call("/me", bearer(access))
    assert.strictEqual(status, 200)
    assert.strictEqual(body.kind, "User")
    assert.strictEqual(body.username, OTP_USER)
    assert.deepStrictEqual(body.scopes, ["aws.cognito.signin.user.admin"])
  })

  it("a Cognito ID token is refused where access tokens are required (401, WrongTokenUse)", async () => {
    const { id } = await cognitoUser()
    const { body, status } = await call("/me", bearer(id))
    assert.strictEqual(status, 401)
    assert.deepStrictEqual([body._tag, body.reason], ["InvalidToken", "WrongTokenUse"])
  })

  it("a Cognito M2M token with the API scope is a machine; without it, 403", async () => {
    const ok = await call("/me", bearer(await cognitoM2m(m2m.api)))
    assert.strictEqual(ok.status, 200)
    assert.deepStrictEqual([ok.body.kind, ok.body.name], ["Machine", "machine:toshi-m2m"])
    const denied = await call("/me", bearer(await cognitoM2m(m2m.reader)))
    assert.strictEqual(denied.status, 403)
    assert.deepStrictEqual([denied.body._tag, denied.body.reason], ["AccessDenied", "InsufficientScope"])
  })

  it("a generic OIDC user token passes; its M2M token lacks the API scope (403)", async () => {
    const user = await call("/me", bearer((await oidcUser()).access_token!))
    assert.strictEqual(user.status, 200)
    assert.strictEqual(user.body.kind, "User")
    assert.sameMembers(user.body.scopes, ["read", "write"])
    const machine = await call("/me", bearer(await oidcM2m()))
    assert.strictEqual(machine.status, 403)
    // The devserver's ID token is for its client, not this API: wrong audience.
    const id = await call("/me", bearer((await oidcUser()).id_token!))
    assert.deepStrictEqual([id.status, id.body.reason], [401, "WrongAudience"])
  })

  it("no credentials, another scheme, garbage and a tampered token are 401 with their reasons", async () => {
    const missing = await call("/me")
    assert.deepStrictEqual([missing.status, missing.body.reason], [401, "MissingCredentials"])
    const basicAuth = await call("/me", { authorization: basic("a", "b") })
    assert.deepStrictEqual([basicAuth.status, basicAuth.body.reason], [401, "Malformed"])
    const garbage = await call("/me", bearer("not-a-token"))
    assert.deepStrictEqual([garbage.status, garbage.body.reason], [401, "Malformed"])
    const [header, payload, signature] = (await cognitoM2m(m2m.reader)).split(".") as [string, string, string]
    const claims = JSON.parse(Buffer.from(payload, "base64url").toString())
    const forged = Buffer.from(JSON.stringify({ ...claims, scope: "toshi/api toshi/admin" })).toString("base64url")
    const tampered = await call("/me", bearer(`${header}.${forged}.${signature}`))
    assert.deepStrictEqual([tampered.status, tampered.body.reason], [401, "InvalidSignature"])
  })

  it("requireScope and the resource policy: the user's own shop only; an admin machine anywhere", async () => {
    const { access } = await cognitoUser()
    assert.strictEqual((await call("/shops/42/items", bearer(access), "POST")).status, 403) // no write scope
    const alice = (await oidcUser()).access_token!
    const own = await call("/shops/7/items", bearer(alice), "POST")
    assert.deepStrictEqual([own.status, own.body.shop], [200, "7"])
    const other = await call("/shops/42/items", bearer(alice), "POST")
    assert.deepStrictEqual([other.status, other.body.reason], [403, "ResourceDenied"])
    const machine = await call("/shops/42/items", bearer(await cognitoM2m(m2m.api)), "POST")
    assert.deepStrictEqual([machine.status, machine.body.reason], [403, "ResourceDenied"])
    const admin = await call("/shops/42/items", bearer(await cognitoM2m(m2m.admin)), "POST")
    assert.deepStrictEqual([admin.status, admin.body.by], [200, "machine:toshi-admin"])
  })

  it("API keys: X-API-Key or Bearer sv_…, limited to their resource; tokens still work there", async () => {
    const created = await Effect.runPromise(keys.create({ owner: "batch-job", resource: "shop/42" }))
    const key = Redacted.value(created.key)
    for (const headers of [{ "x-api-key": key }, bearer(key)]) {
      const { body, status } = await call("/any/me", headers)
      assert.strictEqual(status, 200)
      assert.deepStrictEqual([body.kind, body.name], ["ApiKey", `apikey:${created.id}`])
    }
    assert.strictEqual((await call("/any/shops/42", { "x-api-key": key })).status, 200)
    const elsewhere = await call("/any/shops/7", { "x-api-key": key })
    assert.deepStrictEqual([elsewhere.status, elsewhere.body.reason], [403, "ResourceDenied"])
    // API keys are not accepted where only tokens are.
    assert.strictEqual((await call("/me", { "x-api-key": key })).status, 401)
    assert.strictEqual((await call("/me", bearer(key))).status, 401)
    // Tokens are accepted where API keys are.
    const { access } = await cognitoUser()
    assert.strictEqual((await call("/any/me", bearer(access))).body.kind, "User")
  })

  it("a revoked or unknown API key is refused as such, not as a missing token", async () => {
    const created = await Effect.runPromise(keys.create({ owner: "old-job" }))
    await Effect.runPromise(keys.revoke(created.id))
    const key = Redacted.value(created.key)
    const revoked = await call("/any/me", { "x-api-key": key })
    assert.deepStrictEqual([revoked.status, revoked.body.reason], [401, "RevokedApiKey"])
    const viaBearer = await call("/any/me", bearer(key))
    assert.deepStrictEqual([viaBearer.status, viaBearer.body.reason], [401, "RevokedApiKey"])
    const unknown = await call("/any/me", { "x-api-key": `sv_${"ab".repeat(8)}_${"cd".repeat(32)}` })
    assert.deepStrictEqual([unknown.status, unknown.body.reason], [401, "UnknownApiKey"])
    // An API key header wins over a valid token: a bad key is never rescued by a token.
    const { access } = await cognitoUser()
    const both = await call("/any/me", { "x-api-key": key, ...bearer(access) })
    assert.deepStrictEqual([both.status, both.body.reason], [401, "RevokedApiKey"])
  })
})
