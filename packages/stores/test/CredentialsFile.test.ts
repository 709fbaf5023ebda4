import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { TokenSet } from "@toshi/core"
import { CredentialsFile } from "@toshi/stores"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Encoding from "effect/Encoding"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

const credentialsPath = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "toshi-cred-")), ".toshi", "credentials")
const run = <A, E>(effect: Effect.Effect<A, E, NodeContext.NodeContext>) =>
  Effect.runPromise(Effect.provide(effect, NodeContext.layer))

const jwt = (claims: object) =>
  [{ alg: "RS256" }, claims].map((part) => Encoding.encodeBase64Url(JSON.stringify(part))).join(".") + ".sig"

describe("CredentialsFile", () => {
  it("reads the file the Python toshi-auth tool writes", async () => {
    const file = credentialsPath()
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const access = jwt({ sub: "u1", iat: 1_800_000_000, exp: 1_800_003_600 })
    fs.writeFileSync(file, JSON.stringify({
      access_token: access,
      id_token: "id.jwt.value",
      refresh_token: "refresh-value",
      token_type: "bearer",
      expires_at: 1_800_003_600
    }))
    const loaded = await run(Effect.flatMap(CredentialsFile.make(file), (store) => store.load("any key")))
    const tokens = Option.getOrThrow(loaded)
    assert.strictEqual(Redacted.value(tokens.accessToken), access)
    assert.strictEqual(Redacted.value(tokens.idToken!), "id.jwt.value")
    assert.strictEqual(Redacted.value(tokens.refreshToken!), "refresh-value")
    assert.strictEqual(tokens.tokenType, "Bearer")
    assert.strictEqual(tokens.expiresAt.epochMillis, 1_800_003_600_000)
    assert.strictEqual(tokens.issuedAt?.epochMillis, 1_800_000_000_000)
  })

  it("takes the expiry from the access token when expires_at is absent, or an ISO date", async () => {
    const file = credentialsPath()
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, JSON.stringify({ access_token: jwt({ exp: 1_900_000_000 }) }))
    const fromJwt = await run(Effect.flatMap(CredentialsFile.make(file), (store) => store.load("k")))
    assert.strictEqual(Option.getOrThrow(fromJwt).expiresAt.epochMillis, 1_900_000_000_000)
    fs.writeFileSync(file, JSON.stringify({ access_token: "opaque", expires_at: "2030-01-01T00:00:00Z" }))
    const fromIso = await run(Effect.flatMap(CredentialsFile.make(file), (store) => store.load("k")))
    assert.strictEqual(DateTime.formatIso(Option.getOrThrow(fromIso).expiresAt), "2030-01-01T00:00:00.000Z")
  })

  it("writes what the Python tool reads, 0600 in a 0700 directory, keeping fields it does not know", async () => {
    const file = credentialsPath()
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    fs.writeFileSync(file, JSON.stringify({ access_token: "old", expires_at: 1, username: "ada@example.org" }), { mode: 0o600 })
    await run(Effect.flatMap(CredentialsFile.make(file), (store) =>
      store.save(
        "k",
        TokenSet.make({
          accessToken: Redacted.make("new-access"),
          refreshToken: Redacted.make("new-refresh"),
          expiresAt: DateTime.unsafeMake(1_800_000_000_500)
        })
      )))
    const written = JSON.parse(fs.readFileSync(file, "utf8"))
    assert.deepStrictEqual(written, {
      access_token: "new-access",
      refresh_token: "new-refresh",
      token_type: "Bearer",
      expires_at: 1_800_000_000,
      username: "ada@example.org"
    })
    assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
    assert.strictEqual(fs.statSync(path.dirname(file)).mode & 0o777, 0o700)
  })

  it("logging out removes the file", async () => {
    const file = credentialsPath()
    await run(Effect.gen(function*() {
      const store = yield* CredentialsFile.make(file)
      yield* store.save("k", TokenSet.make({ accessToken: Redacted.make("a"), expiresAt: DateTime.unsafeMake(0) }))
      assert.isTrue(fs.existsSync(file))
      yield* store.clear("k")
      assert.isFalse(fs.existsSync(file))
    }))
  })

  it("a file without an access token, or with a bad expiry, is Corrupt and left in place", async () => {
    for (const content of [{ id_token: "x" }, { access_token: "opaque" }, { access_token: "a", expires_at: "soon" }, { access_token: "a", expires_at: 1, refresh_token: 5 }]) {
      const file = credentialsPath()
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, JSON.stringify(content))
      const [loadError, saveError] = await run(Effect.gen(function*() {
        const store = yield* CredentialsFile.make(file)
        const load = yield* Effect.flip(store.load("k"))
        const save = yield* Effect.either(
          store.save("k", TokenSet.make({ accessToken: Redacted.make("a"), expiresAt: DateTime.unsafeMake(0) }))
        )
        return [load, save] as const
      }))
      assert.strictEqual(loadError.reason, "Corrupt", JSON.stringify(content))
      assert.include(loadError.message, file)
      if (!("access_token" in content)) {
        assert.strictEqual(saveError._tag, "Left")
        assert.strictEqual(JSON.parse(fs.readFileSync(file, "utf8")).id_token, "x")
      }
    }
  })
})
