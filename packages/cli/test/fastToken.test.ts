import { assert, describe, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterEach } from "vitest"
import { tryFastToken } from "../src/internal/fastToken.js"
import { formatToken, type PrintableToken, type TokenFormat } from "../src/internal/tokenOutput.js"
import { bundle } from "./bundle.js"

const now = Date.parse("2026-03-01T00:00:00Z")
const inAnHour = now / 1000 + 3600

const homes: Array<string> = []
afterEach(() => {
  for (const home of homes.splice(0)) fs.rmSync(home, { recursive: true, force: true })
})

/** A fresh HOME with the given files in `~/.toshi` (objects are written as JSON). */
const makeHome = (files: Readonly<Record<string, unknown>> = {}): string => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-fast-"))
  homes.push(home)
  fs.mkdirSync(path.join(home, ".toshi"), { mode: 0o700 })
  for (const [name, content] of Object.entries(files)) {
    fs.writeFileSync(path.join(home, ".toshi", name), typeof content === "string" ? content : JSON.stringify(content), { mode: 0o600 })
  }
  return home
}

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const jwt = (claims: Record<string, unknown>) => `${base64url({ alg: "RS256", kid: "k" })}.${base64url(claims)}.c2lnbmF0dXJl`

const accessToken = jwt({ sub: "scientist", exp: inAnHour, scope: "openid email" })

const credentials = (fields: Record<string, unknown> = {}) => ({
  access_token: accessToken,
  id_token: jwt({ sub: "scientist", email: "s@example.org" }),
  refresh_token: "refresh-opaque",
  token_type: "bearer",
  expires_at: inAnHour,
  ...fields
})

const profiles = { profiles: { work: { issuer: "https://id.example.org", client_id: "cli" } } }

const tokenStore = (entry: Record<string, unknown>) => ({
  format: "toshi-token-store",
  version: 1,
  tokens: {
    work: {
      accessToken: "work-token",
      tokenType: "Bearer",
      expiresAt: new Date((inAnHour + 600) * 1000).toISOString(),
      scope: ["openid", "offline_access"],
      refreshToken: "work-refresh",
      ...entry
    }
  }
})

const fast = (home: string, args: ReadonlyArray<string>, env: Record<string, string> = {}, at = now) =>
  tryFastToken(["/usr/bin/node", "/usr/bin/toshi", ...args], { HOME: home, ...env }, at)

const expected = (token: Partial<PrintableToken>, format: TokenFormat) =>
  formatToken({ accessToken, tokenType: "Bearer", expiresAt: inAnHour, scope: [], ...token }, format)

describe("tryFastToken", () => {
  it("a saved login prints the header, the bare token and JSON exactly as the full command formats them", () => {
    const home = makeHome({ credentials: credentials({ scope: "openid  email" }) })
    const token = { scope: ["openid", "email"] }
    assert.strictEqual(fast(home, ["token"]), expected(token, "header"))
    assert.strictEqual(fast(home, ["token"]), `Bearer ${accessToken}\n`)
    assert.strictEqual(fast(home, ["token", "--raw"]), expected(token, "raw"))
    assert.strictEqual(fast(home, ["token", "--raw"]), `${accessToken}\n`)
    assert.strictEqual(fast(home, ["token", "--json"]), expected(token, "json"))
    assert.deepStrictEqual(JSON.parse(fast(home, ["token", "--json"])!), {
      access_token: accessToken,
      token_type: "Bearer",
      expires_at: inAnHour,
      scope: "openid email"
    })
  })

  it("reads the Python tool's expires_at as epoch seconds, a numeric string or a date, and else the token's exp", () => {
    const cases: Array<[string, unknown, number]> = [
      ["epoch seconds", inAnHour, inAnHour],
      ["a numeric string", String(inAnHour), inAnHour],
      ["an ISO date", new Date(inAnHour * 1000).toISOString(), inAnHour],
      ["an ISO date without a zone (UTC)", new Date(inAnHour * 1000).toISOString().slice(0, -1), inAnHour],
      ["an ISO date with an offset", "2026-03-01T13:00:00+12:00", inAnHour],
      ["null, so the token's exp", null, inAnHour]
    ]
    for (const [what, expiresAt, seconds] of cases) {
      const home = makeHome({ credentials: credentials({ expires_at: expiresAt }) })
      assert.strictEqual(fast(home, ["token", "--json"]), expected({ expiresAt: seconds }, "json"), what)
    }
    const { expires_at: _, ...withoutExpiry } = credentials()
    const home = makeHome({ credentials: withoutExpiry })
    assert.strictEqual(fast(home, ["token", "--json"]), expected({}, "json"), "absent, so the token's exp")
  })

  it("prints expires_at in whole epoch seconds", () => {
    const home = makeHome({ credentials: credentials({ expires_at: inAnHour + 0.9 }) })
    assert.strictEqual(JSON.parse(fast(home, ["token", "--json"])!).expires_at, inAnHour)
  })

  it("keeps a token type other than bearer, and treats bearer in any case, or none, as Bearer", () => {
    for (const [tokenType, printed] of [["bearer", "Bearer"], ["BEARER", "Bearer"], [undefined, "Bearer"], ["", "Bearer"], ["DPoP", "DPoP"]]) {
      const home = makeHome({ credentials: credentials({ token_type: tokenType }) })
      assert.strictEqual(fast(home, ["token"]), `${printed} ${accessToken}\n`, String(tokenType))
    }
  })

  it("prints a token with at least a minute left, and leaves one closer to expiry to the full command", () => {
    const home = makeHome({ credentials: credentials() })
    assert.strictEqual(fast(home, ["token", "--raw"], {}, (inAnHour - 60) * 1000), `${accessToken}\n`)
    assert.strictEqual(fast(home, ["token", "--raw"], {}, (inAnHour - 59) * 1000), undefined)
    assert.strictEqual(fast(home, ["token", "--raw"], {}, (inAnHour + 3600) * 1000), undefined)
  })

  it("takes the profile from --profile NAME, --profile=NAME or TOSHI_PROFILE, and options in any order", () => {
    const home = makeHome({ credentials: credentials(), "profiles.json": profiles, "tokens.json": tokenStore({}) })
    const work = "work-token\n"
    assert.strictEqual(fast(home, ["token", "--raw", "--profile", "work"]), work)
    assert.strictEqual(fast(home, ["token", "--profile", "work", "--raw"]), work)
    assert.strictEqual(fast(home, ["token", "--profile=work", "--raw"]), work)
    // The short flags the full command also takes.
    assert.strictEqual(fast(home, ["token", "-r", "-p", "work"]), work)
    assert.strictEqual(fast(home, ["token", "-p", "work", "-j"]), fast(home, ["token", "--json", "--profile", "work"]))
    assert.strictEqual(fast(home, ["token", "--raw"], { TOSHI_PROFILE: "work" }), work)
    assert.strictEqual(fast(home, ["token", "--raw", "--profile", "default"], { TOSHI_PROFILE: "work" }), `${accessToken}\n`)
    assert.strictEqual(fast(home, ["token", "--raw"], { TOSHI_PROFILE: "" }), `${accessToken}\n`)
  })

  it("a named profile prints its entry of tokens.json in every format", () => {
    const home = makeHome({ "profiles.json": profiles, "tokens.json": tokenStore({}) })
    const token: PrintableToken = { accessToken: "work-token", tokenType: "Bearer", expiresAt: inAnHour + 600, scope: ["openid", "offline_access"] }
    for (const format of ["header", "raw", "json"] as const) {
      const args = format === "header" ? ["token"] : ["token", `--${format}`]
      assert.strictEqual(fast(home, [...args, "--profile", "work"]), formatToken(token, format), format)
    }
  })

  it("anything but `token [--raw | --json] [--profile NAME]` is left to the full command", () => {
    const home = makeHome({ credentials: credentials(), "profiles.json": profiles, "tokens.json": tokenStore({}) })
    const cases: Array<ReadonlyArray<string>> = [
      [],
      ["whoami"],
      ["--version"],
      ["token", "--help"],
      ["token", "-h"],
      ["token", "--raw", "--json"],
      ["token", "--raw", "--raw"],
      ["token", "-r", "--raw"],
      ["token", "-r", "-j"],
      ["token", "-p"],
      ["token", "--verbose"],
      ["token", "extra"],
      ["token", "--profile"],
      ["token", "--profile", ""],
      ["token", "--profile="],
      ["token", "--profile", "--raw"],
      ["token", "--profile", "work", "--profile", "work"],
      ["token", "--profile", "../work"],
      ["token", "--"],
      ["--profile", "work", "token"],
      ["Token"]
    ]
    for (const args of cases) assert.strictEqual(fast(home, args), undefined, args.join(" "))
  })

  it("machine credentials, or an API key beside the saved login, leave the default profile to the full command", () => {
    const home = makeHome({ credentials: credentials(), "profiles.json": profiles, "tokens.json": tokenStore({}) })
    const arn = "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:toshi-m2m"
    assert.strictEqual(fast(home, ["token"], { NZSHM22_TOSHI_M2M_SECRET_ARN: arn }), undefined)
    assert.strictEqual(fast(home, ["token"], { NZSHM22_TOSHI_API_KEY: "key" }), undefined)
    assert.strictEqual(fast(home, ["token"], { NZSHM22_TOSHI_M2M_SECRET_ARN: "" }), expected({}, "header"))
    // A named profile is its own login: M2M does not apply to it.
    assert.strictEqual(fast(home, ["token", "--raw", "--profile", "work"], { NZSHM22_TOSHI_M2M_SECRET_ARN: arn }), "work-token\n")
  })

  it("a missing, unreadable or malformed credentials file is left to the full command", () => {
    const { access_token: _, ...withoutAccess } = credentials()
    const cases: Array<[string, unknown]> = [
      ["not JSON", "{\"access_token\": \"abc"],
      ["an array", [credentials()]],
      ["no access token", withoutAccess],
      ["an empty access token", credentials({ access_token: "" })],
      ["an access token that is not a string", credentials({ access_token: 42 })],
      ["an ID token that is not a string", credentials({ id_token: 42 })],
      ["a refresh token that is not a string", credentials({ refresh_token: {} })],
      ["a scope that is not a string", credentials({ scope: ["openid"] })],
      ["a token type that is not a string", credentials({ token_type: 1 })],
      ["an expiry that is not a date", credentials({ expires_at: "soon" })],
      ["an expiry that is a boolean", credentials({ expires_at: true })],
      ["no expiry and an opaque token", credentials({ expires_at: null, access_token: "opaque" })],
      ["no expiry and a JWT without exp", credentials({ expires_at: null, access_token: jwt({ sub: "x" }) })],
      ["no expiry and a JWT whose payload is not base64url", credentials({ expires_at: null, access_token: "a.b*c.d" })]
    ]
    for (const [what, content] of cases) {
      const home = makeHome({ credentials: content })
      assert.strictEqual(fast(home, ["token"]), undefined, what)
    }
    assert.strictEqual(fast(makeHome(), ["token"]), undefined, "no file")
    const directory = makeHome()
    fs.mkdirSync(path.join(directory, ".toshi", "credentials"))
    assert.strictEqual(fast(directory, ["token"]), undefined, "a directory")
    assert.strictEqual(tryFastToken(["node", "toshi", "token"], {}, now), undefined, "no HOME")
    const home = makeHome({ credentials: credentials() })
    assert.strictEqual(tryFastToken(["node", "toshi", "token"], { USERPROFILE: home }, now), expected({}, "header"), "USERPROFILE")
  })

  it("a missing, malformed or expired entry of tokens.json is left to the full command", () => {
    const cases: Array<[string, unknown]> = [
      ["not toshi's format", { ...tokenStore({}), format: "other" }],
      ["a newer version", { ...tokenStore({}), version: 2 }],
      ["no version", { ...tokenStore({}), version: undefined }],
      ["another profile's entry only", { ...tokenStore({}), tokens: { other: tokenStore({}).tokens.work } }],
      ["an entry without a token", tokenStore({ accessToken: undefined })],
      ["an expiry that is not a date", tokenStore({ expiresAt: "tomorrow-ish" })],
      ["an expiry in epoch seconds", tokenStore({ expiresAt: inAnHour })],
      ["a scope that is a string", tokenStore({ scope: "openid" })],
      ["a scope with a number", tokenStore({ scope: ["openid", 1] })],
      ["a token type that is not a string", tokenStore({ tokenType: 1 })],
      ["a refresh token that is not a string", tokenStore({ refreshToken: 1 })],
      ["a refresh expiry that is not a date", tokenStore({ refreshExpiresAt: "never" })],
      ["an expired token", tokenStore({ expiresAt: new Date(now - 1000).toISOString() })],
      ["a token with 30 seconds left", tokenStore({ expiresAt: new Date(now + 30_000).toISOString() })]
    ]
    for (const [what, content] of cases) {
      const home = makeHome({ "profiles.json": profiles, "tokens.json": content })
      assert.strictEqual(fast(home, ["token", "--profile", "work"]), undefined, what)
    }
    assert.strictEqual(fast(makeHome({ "profiles.json": profiles }), ["token", "--profile", "work"]), undefined, "no file")
  })

  it("a profile the profiles file does not declare, or a malformed settings or profiles file, is left to the full command", () => {
    const store = tokenStore({})
    const cases: Array<[string, Record<string, unknown>, ReadonlyArray<string>]> = [
      ["no profiles file", { "tokens.json": store }, ["token", "--profile", "work"]],
      ["an undeclared profile", { "profiles.json": { profiles: {} }, "tokens.json": store }, ["token", "--profile", "work"]],
      ["a profile without an issuer", { "profiles.json": { profiles: { work: { client_id: "cli" } } }, "tokens.json": store }, ["token", "--profile", "work"]],
      ["a profiles file that is not JSON", { credentials: credentials(), "profiles.json": "{" }, ["token"]],
      ["a profiles file without profiles", { credentials: credentials(), "profiles.json": { work: {} } }, ["token"]],
      ["a profiles file redefining default", { credentials: credentials(), "profiles.json": { profiles: { default: {} } } }, ["token"]],
      ["a settings file that is not JSON", { credentials: credentials(), "auth_config.json": "{" }, ["token"]],
      ["a settings file with a number", { credentials: credentials(), "auth_config.json": { region: 1 } }, ["token"]],
      ["a settings file that is an array", { "profiles.json": profiles, "tokens.json": store, "auth_config.json": [] }, ["token", "--profile", "work"]]
    ]
    for (const [what, files, args] of cases) assert.strictEqual(fast(makeHome(files), args), undefined, what)
    const settings = { user_pool_id: "ap-southeast-2_abc", region: "ap-southeast-2", scientist_client_id: "client", identity_pool_id: null }
    assert.strictEqual(fast(makeHome({ credentials: credentials(), "auth_config.json": settings }), ["token"]), expected({}, "header"))
    // The files may also be named by the environment.
    const elsewhere = makeHome({ "tokens.json": store, "moved.json": profiles, "broken.json": "{" })
    const moved = path.join(elsewhere, ".toshi", "moved.json")
    assert.strictEqual(fast(elsewhere, ["token", "--raw", "--profile", "work"], { TOSHI_PROFILES: moved }), "work-token\n")
    const broken = path.join(elsewhere, ".toshi", "broken.json")
    assert.strictEqual(fast(elsewhere, ["token", "--profile", "work"], { TOSHI_PROFILES: moved, TOSHI_COGNITO_CONFIG: broken }), undefined)
  })
})

describe("dist/toshi.mjs", () => {
  /** The environment of a user with nothing configured but HOME; AWS calls, if any, fail at once. */
  const run = (bin: string, home: string, args: ReadonlyArray<string>) =>
    spawnSync(process.execPath, [bin, ...args], {
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", HOME: home, AWS_ENDPOINT_URL: "http://127.0.0.1:9" },
      encoding: "utf8",
      timeout: 30_000
    })

  it("prints a cached valid token with `toshi token --raw`", async () => {
    const bin = await bundle()
    const valid = credentials({ expires_at: Math.floor(Date.now() / 1000) + 3600 })
    const result = run(bin, makeHome({ credentials: valid }), ["token", "--raw"])
    assert.strictEqual(result.stdout, `${accessToken}\n`, result.stderr)
    assert.strictEqual(result.status, 0)
  })

  it("leaves an expired token to the full command, which prints no token and fails", async () => {
    const bin = await bundle()
    const { refresh_token: _, ...expired } = credentials({ expires_at: Math.floor(Date.now() / 1000) - 3600 })
    const result = run(bin, makeHome({ credentials: expired }), ["token", "--raw"])
    assert.strictEqual(result.stdout, "")
    assert.notStrictEqual(result.status, 0, result.stderr)
  })
})
