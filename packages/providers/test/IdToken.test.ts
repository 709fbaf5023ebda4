import { NodeHttpClient } from "@effect/platform-node"
import type * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import type { AuthError } from "@toshi/core"
import { type DevServer, start } from "@toshi/devserver"
import { ClientAuth, IdToken, OAuth2, Oidc } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as jose from "jose"

let server: DevServer
let idToken: string

const run = <A, E>(effect: Effect.Effect<A, E, HttpClient.HttpClient>) =>
  Effect.runPromise(Effect.provide(effect, NodeHttpClient.layerUndici))

const passwordOptions = (s: DevServer) => ({
  tokenEndpoint: s.endpoints.token,
  client: ClientAuth.basic(s.clients.password.clientId, Redacted.make(s.clients.password.clientSecret)),
  username: s.users[0]!.username,
  password: Redacted.make(s.users[0]!.password),
  scope: ["openid", "email"]
})

beforeAll(async () => {
  server = await start({ idTokenTtl: 2 })
  const tokens = await run(Effect.flatMap(OAuth2.makePassword(passwordOptions(server)), (p) => p.acquire))
  idToken = Redacted.value(tokens.idToken!)
})
afterAll(() => server?.stop())

const check = (token: string, overrides: Partial<Parameters<typeof IdToken.validate>[1]> = {}) =>
  run(Effect.either(IdToken.validate(token, {
    issuer: server.issuer,
    jwksUri: server.endpoints.jwks,
    clientId: server.clients.password.clientId,
    clockTolerance: 0,
    ...overrides
  })))

const rejected = (result: Awaited<ReturnType<typeof check>>, message: RegExp) => {
  assert.strictEqual(result._tag, "Left")
  if (result._tag === "Left") {
    assert.strictEqual(result.left._tag, "LoginFailedError")
    assert.strictEqual((result.left as AuthError.LoginFailedError).reason, "InvalidIdToken")
    assert.match(result.left.message, message)
  }
}

describe("IdToken.validate", () => {
  it("accepts the issuer's own ID token and returns its claims", async () => {
    const result = await check(idToken)
    assert.strictEqual(result._tag, "Right")
    if (result._tag === "Right") assert.strictEqual(result.right.sub, server.users[0]!.sub)
  })

  it("refuses another audience, another issuer, a wrong nonce and a bad signature", async () => {
    rejected(await check(idToken, { clientId: "someone-else" }), /"aud"/)
    rejected(await check(idToken, { issuer: "https://other.example" }), /"iss"/)
    rejected(await check(idToken, { nonce: "n-123" }), /nonce/)
    const [header, payload, signature] = idToken.split(".")
    const flipped = signature!.startsWith("A") ? `B${signature!.slice(1)}` : `A${signature!.slice(1)}`
    rejected(await check(`${header}.${payload}.${flipped}`), /signature/)
    rejected(await check("not.a.jwt"), /malformed|not valid/)
  })

  it("refuses a token signed with a key the issuer does not publish, and an unsigned one", async () => {
    const { privateKey } = await jose.generateKeyPair("RS256")
    const forged = await new jose.SignJWT({ sub: "x" })
      .setProtectedHeader({ alg: "RS256", kid: "forged" })
      .setIssuer(server.issuer)
      .setAudience(server.clients.password.clientId)
      .setIssuedAt()
      .setExpirationTime("5m")
      .sign(privateKey)
    rejected(await check(forged), /key the issuer does not publish/)
    const unsigned = new jose.UnsecuredJWT({ sub: "x" }).setIssuer(server.issuer).setAudience(server.clients.password.clientId)
      .setIssuedAt().setExpirationTime("5m").encode()
    rejected(await check(unsigned), /algorithm|malformed|not valid/)
  })

  it("refuses an expired token", async () => {
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    rejected(await check(idToken), /expired/)
  })

  it("a grant configured from discovery validates the ID tokens it receives", async () => {
    const tokens = await run(Effect.gen(function*() {
      const metadata = yield* Oidc.discover(server.issuer)
      const provider = yield* OAuth2.makePassword({ ...passwordOptions(server), idToken: Oidc.validation(metadata) })
      return yield* provider.acquire
    }))
    assert.isDefined(tokens.idToken)
    const wrongIssuer = await run(Effect.either(Effect.flatMap(
      OAuth2.makePassword({
        ...passwordOptions(server),
        idToken: { issuer: "https://not-the-issuer.example", jwksUri: server.endpoints.jwks }
      }),
      (p) => p.acquire
    )))
    assert.strictEqual(wrongIssuer._tag, "Left")
  })
})
