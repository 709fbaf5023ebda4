import { assert, describe, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as SavedToken from "../src/SavedToken.js"

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const jwt = (claims: Record<string, unknown>) => `${base64url({ alg: "RS256", kid: "k" })}.${base64url(claims)}.c2lnbmF0dXJl`

const inAnHour = Date.parse("2026-03-01T01:00:00Z") / 1000
const accessToken = jwt({ sub: "scientist", exp: inAnHour })

const credentials = (fields: Record<string, unknown> = {}) => ({
  access_token: accessToken,
  id_token: jwt({ sub: "scientist" }),
  refresh_token: "refresh-opaque",
  token_type: "bearer",
  expires_at: inAnHour,
  ...fields
})

const tokenStore = (entry: Record<string, unknown>) => ({
  format: "toshi-token-store",
  version: 1,
  tokens: {
    work: {
      accessToken: "work-token",
      tokenType: "Bearer",
      expiresAt: new Date(inAnHour * 1000).toISOString(),
      scope: ["openid", "offline_access"],
      refreshToken: "work-refresh",
      ...entry
    }
  }
})

describe("SavedToken", () => {
  it("reads the Python tool's expires_at as epoch seconds, a numeric string or a date, and else the token's exp", () => {
    const cases: Array<[string, unknown]> = [
      ["epoch seconds", inAnHour],
      ["a numeric string", String(inAnHour)],
      ["an ISO date", new Date(inAnHour * 1000).toISOString()],
      ["an ISO date without a zone (UTC)", new Date(inAnHour * 1000).toISOString().slice(0, -1)],
      ["an ISO date with an offset", "2026-03-01T13:00:00+12:00"],
      ["null, so the token's exp", null]
    ]
    for (const [what, expiresAt] of cases) {
      assert.deepStrictEqual(SavedToken.fromCredentialsFile(credentials({ expires_at: expiresAt })), {
        accessToken,
        tokenType: "Bearer",
        expiresAtMillis: inAnHour * 1000,
        scope: []
      }, what)
    }
  })

  it("keeps a token type other than bearer, and splits the scope", () => {
    const token = SavedToken.fromCredentialsFile(credentials({ token_type: "DPoP", scope: "openid  email" }))
    assert.strictEqual(token?.tokenType, "DPoP")
    assert.deepStrictEqual(token?.scope, ["openid", "email"])
  })

  it("a credentials record the store would not read the same way is undefined", () => {
    const cases: Array<[string, unknown]> = [
      ["an array", [credentials()]],
      ["an empty access token", credentials({ access_token: "" })],
      ["an ID token that is not a string", credentials({ id_token: 42 })],
      ["a scope that is not a string", credentials({ scope: ["openid"] })],
      ["an expiry that is not a date", credentials({ expires_at: "soon" })],
      ["no expiry and an opaque token", credentials({ expires_at: null, access_token: "opaque" })],
      ["no expiry and a JWT whose payload is not base64url", credentials({ expires_at: null, access_token: "a.b*c.d" })]
    ]
    for (const [what, json] of cases) assert.isUndefined(SavedToken.fromCredentialsFile(json), what)
  })

  it("reads an entry of toshi's token file by its key", () => {
    assert.deepStrictEqual(SavedToken.fromTokenStore(tokenStore({}), "work"), {
      accessToken: "work-token",
      tokenType: "Bearer",
      expiresAtMillis: inAnHour * 1000,
      scope: ["openid", "offline_access"]
    })
  })

  it("a token file entry the store would not read the same way is undefined", () => {
    const cases: Array<[string, unknown, string]> = [
      ["not toshi's format", { ...tokenStore({}), format: "other" }, "work"],
      ["a newer version", { ...tokenStore({}), version: 2 }, "work"],
      ["another key", tokenStore({}), "other"],
      ["an inherited key", tokenStore({}), "constructor"],
      ["an expiry in epoch seconds", tokenStore({ expiresAt: inAnHour }), "work"],
      ["a scope with a number", tokenStore({ scope: ["openid", 1] }), "work"],
      ["a refresh expiry that is not a date", tokenStore({ refreshExpiresAt: "never" }), "work"]
    ]
    for (const [what, json, key] of cases) assert.isUndefined(SavedToken.fromTokenStore(json, key), what)
  })

  it("is plain code: the module imports nothing, so the CLI's start-up path can use it", () => {
    const source = fs.readFileSync(new URL("../src/SavedToken.ts", import.meta.url), "utf8")
    assert.notMatch(source, /^import /m)
  })
})
