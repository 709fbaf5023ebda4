import { assert, describe, it } from "@effect/vitest"
import * as Equal from "effect/Equal"
import type { JwtVerifier } from "../src/index.js"
import { Principal } from "../src/index.js"

const base = { iss: "https://issuer.example", exp: 2_000_000_000 }
const claims = (extra: Record<string, unknown>) => ({ ...base, ...extra }) as JwtVerifier.Claims

describe("Principal.fromClaims", () => {
  it("a Cognito user access token is a User with username, groups and scopes", () => {
    const principal = Principal.fromClaims(claims({
      sub: "u-1",
      client_id: "app",
      username: "ada",
      token_use: "access",
      scope: "openid toshi/read",
      "cognito:groups": ["admins", "scientists"]
    }))
    assert.isTrue(Principal.isUser(principal))
    if (principal._tag !== "User") return
    assert.deepStrictEqual(
      [principal.subject, principal.username, principal.clientId, principal.groups, principal.scopes],
      ["u-1", "ada", "app", ["admins", "scientists"], ["openid", "toshi/read"]]
    )
    assert.strictEqual(Principal.describe(principal), "user:u-1")
  })

  it("a Cognito ID token is a User named by cognito:username, its client being its aud", () => {
    const principal = Principal.fromClaims(claims({ sub: "u-1", aud: "app", token_use: "id", "cognito:username": "ada" }))
    assert.strictEqual(principal._tag, "User")
    if (principal._tag === "User") assert.deepStrictEqual([principal.username, principal.clientId, principal.scopes], ["ada", "app", []])
  })

  it("a client-credentials token (Cognito or OIDC: sub is the client, or no sub) is a Machine", () => {
    for (const extra of [
      { sub: "m2m", client_id: "m2m", token_use: "access", scope: "toshi/api" },
      { sub: "m2m", client_id: "m2m", aud: "urn:toshi:api", scope: "toshi/api" },
      { client_id: "m2m", scp: ["toshi/api"] }
    ]) {
      const principal = Principal.fromClaims(claims(extra))
      assert.isTrue(Principal.isMachine(principal))
      if (principal._tag === "Machine") assert.deepStrictEqual([principal.clientId, principal.scopes], ["m2m", ["toshi/api"]])
      assert.strictEqual(Principal.describe(principal), "machine:m2m")
    }
  })

  it("a generic OIDC user token is a User named by preferred_username, with groups", () => {
    const principal = Principal.fromClaims(claims({ sub: "u-2", client_id: "web", preferred_username: "grace", groups: ["ops"] }))
    assert.strictEqual(principal._tag, "User")
    if (principal._tag === "User") assert.deepStrictEqual([principal.username, principal.groups], ["grace", ["ops"]])
  })

  it("principals are plain data: structural equality, JSON with their tag; API keys hold no scopes", () => {
    const key = new Principal.ApiKey({ keyId: "k1", owner: "batch", resource: "shop/42" })
    assert.deepStrictEqual(Principal.scopes(key), [])
    assert.isTrue(Principal.isApiKey(key))
    assert.isTrue(Equal.equals(key, new Principal.ApiKey({ keyId: "k1", owner: "batch", resource: "shop/42" })))
    assert.isFalse(Equal.equals(key, new Principal.ApiKey({ keyId: "k2", owner: "batch", resource: "shop/42" })))
    assert.deepStrictEqual(JSON.parse(JSON.stringify(key)), { _tag: "ApiKey", keyId: "k1", owner: "batch", resource: "shop/42" })
    assert.strictEqual(Principal.describe(key), "apikey:k1")
  })
})
