import * as SqlClient from "@effect/sql/SqlClient"
import { SqliteClient } from "@effect/sql-sqlite-node"
import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import { ApiKeys } from "../src/index.js"

/** A store in a fresh in-memory SQLite database, with the `SqlClient` kept reachable to inspect the table. */
const memory = (options?: ApiKeys.Options) =>
  ApiKeys.layerSql(options).pipe(Layer.provideMerge(SqliteClient.layer({ filename: ":memory:" })))

const rows = Effect.flatMap(SqlClient.SqlClient, (sql) => sql`SELECT * FROM toshi_api_keys`)

const reason = <A, E extends { readonly reason: string }, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.map(Effect.flip(effect), (error) => error.reason)

describe("ApiKeys", () => {
  it.effect("a created key is {prefix}_{id}_{secret}, verifies to its owner and resource, and is stored only as a fingerprint", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys.ApiKeys
      const created = yield* keys.create({ owner: "alice", resource: "shop/42" })
      const key = Redacted.value(created.key)
      assert.match(key, /^sv_[0-9a-f]{16}_[0-9a-f]{64}$/)
      assert.strictEqual(key.split("_")[1], created.id)
      assert.notInclude(String(created.key), key) // Redacted when printed or logged
      const principal = yield* keys.verify(created.key)
      assert.deepStrictEqual([principal._tag, principal.keyId, principal.owner, principal.resource], [
        "ApiKey",
        created.id,
        "alice",
        "shop/42"
      ])
      const stored = yield* rows
      assert.strictEqual(stored.length, 1)
      const secret = key.split("_")[2]!
      for (const value of Object.values(stored[0]!)) assert.notInclude(String(value), secret)
      assert.match(String(stored[0]!["fingerprint"]), /^sha256:[0-9a-f]{64}$/)
    }).pipe(Effect.provide(memory())))

  it.effect("unknown, malformed, wrong-secret and foreign-prefix keys are refused as unknown", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys.ApiKeys
      const created = Redacted.value((yield* keys.create({ owner: "alice" })).key)
      const [prefix, id, secret] = created.split("_") as [string, string, string]
      const wrongSecret = `${prefix}_${id}_${secret.slice(0, -1)}${secret.endsWith("0") ? "1" : "0"}`
      for (
        const candidate of [
          wrongSecret,
          `${prefix}_${"0".repeat(16)}_${secret}`,
          `${prefix}_${id}`,
          `${prefix}_${id}_${secret}x`,
          `${prefix}_${id.toUpperCase()}_${secret}`,
          `tk_${id}_${secret}`,
          "",
          "' OR 1=1 --"
        ]
      ) {
        assert.strictEqual(yield* reason(keys.verify(candidate)), "UnknownApiKey", candidate)
      }
      yield* keys.verify(created)
    }).pipe(Effect.provide(memory())))

  it.effect("a revoked key is refused at once, and says so only to whoever holds its secret", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys.ApiKeys
      const created = yield* keys.create({ owner: "alice" })
      yield* keys.verify(created.key)
      assert.isTrue(yield* keys.revoke(created.id))
      assert.strictEqual(yield* reason(keys.verify(created.key)), "RevokedApiKey")
      const forged = Redacted.value(created.key).replace(/.$/, (c) => (c === "0" ? "1" : "0"))
      assert.strictEqual(yield* reason(keys.verify(forged)), "UnknownApiKey")
      // Revoking again, or an id that never existed, changes nothing.
      assert.isFalse(yield* keys.revoke(created.id))
      assert.isFalse(yield* keys.revoke("0000000000000000"))
      const [listed] = yield* keys.list("alice")
      assert.isDefined(listed?.revokedAt)
    }).pipe(Effect.provide(memory())))

  it.effect("list shows an owner's keys, oldest first, without secrets; last_used_at is written at most once a minute", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys.ApiKeys
      yield* TestClock.setTime(Date.UTC(2025, 0, 1))
      const first = yield* keys.create({ owner: "alice" })
      yield* TestClock.adjust("1 second")
      const second = yield* keys.create({ owner: "alice", resource: "shop/7" })
      yield* keys.create({ owner: "bob" })
      const listed = yield* keys.list("alice")
      assert.deepStrictEqual(listed.map((info) => info.id), [first.id, second.id])
      assert.isUndefined(listed[0]!.lastUsedAt)
      assert.strictEqual(listed[1]!.resource, "shop/7")
      assert.notProperty(listed[0]!, "key")
      assert.notInclude(JSON.stringify(listed), Redacted.value(first.key))

      yield* keys.verify(first.key)
      const used = (yield* keys.list("alice"))[0]!.lastUsedAt!
      assert.strictEqual(DateTime.toEpochMillis(used), Date.UTC(2025, 0, 1, 0, 0, 1))
      yield* TestClock.adjust("30 seconds")
      yield* keys.verify(first.key)
      assert.strictEqual(DateTime.toEpochMillis((yield* keys.list("alice"))[0]!.lastUsedAt!), Date.UTC(2025, 0, 1, 0, 0, 1))
      yield* TestClock.adjust("31 seconds")
      yield* keys.verify(first.key)
      assert.strictEqual(DateTime.toEpochMillis((yield* keys.list("alice"))[0]!.lastUsedAt!), Date.UTC(2025, 0, 1, 0, 1, 2))
    }).pipe(Effect.provide(memory())))

  it.effect("with a pepper, fingerprints are HMACs, and a key does not verify under another pepper", () =>
    Effect.gen(function*() {
      // Three stores over one database: the same rows, different peppers.
      const a = yield* ApiKeys.make({ pepper: Redacted.make("pepper-a") })
      const b = yield* ApiKeys.make({ pepper: Redacted.make("pepper-b") })
      const plain = yield* ApiKeys.make()
      const created = yield* a.create({ owner: "alice" })
      yield* a.verify(created.key)
      assert.strictEqual(yield* reason(b.verify(created.key)), "UnknownApiKey")
      assert.strictEqual(yield* reason(plain.verify(created.key)), "UnknownApiKey")
      const [row] = yield* rows
      assert.match(String(row!["fingerprint"]), /^hmac-sha256:[0-9a-f]{64}$/)
    }).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))

  it.effect("a custom prefix and table; keys of another prefix are not this store's", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys.ApiKeys
      const created = yield* keys.create({ owner: "carol" })
      assert.isTrue(Redacted.value(created.key).startsWith("tk_"))
      assert.isTrue(keys.looksLikeKey(Redacted.value(created.key)))
      assert.isFalse(keys.looksLikeKey("sv_0123"))
      yield* keys.verify(created.key)
      const sql = yield* SqlClient.SqlClient
      assert.strictEqual((yield* sql`SELECT count(*) AS n FROM my_keys`)[0]!["n"], 1)
    }).pipe(Effect.provide(memory({ prefix: "tk", table: "my_keys" }))))

  it.effect("invalid options are refused when the store is built", () =>
    Effect.gen(function*() {
      for (const options of [{ prefix: "s_v" }, { prefix: "" }, { table: "keys; DROP TABLE users" }]) {
        const error = yield* Effect.flip(ApiKeys.make(options))
        assert.strictEqual(error._tag, "VerifierMisconfigured")
      }
    }).pipe(Effect.provide(SqliteClient.layer({ filename: ":memory:" }))))

  it.effect("layerSqlite keeps keys in a file across restarts", () =>
    Effect.gen(function*() {
      const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), "toshi-keys-"))
      yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true })))
      const file = Path.join(dir, "keys.db")
      const created = yield* ApiKeys.ApiKeys.pipe(
        Effect.flatMap((keys) => keys.create({ owner: "dave" })),
        Effect.provide(ApiKeys.layerSqlite(file))
      )
      const principal = yield* ApiKeys.verify(created.key).pipe(Effect.provide(ApiKeys.layerSqlite(file)))
      assert.strictEqual(principal.owner, "dave")
      assert.isTrue(Fs.statSync(file).size > 0)
    }).pipe(Effect.scoped))

  it.effect("a database failure is an ApiKeyStoreError (503), not a refusal or an acceptance", () =>
    Effect.gen(function*() {
      const keys = yield* ApiKeys.ApiKeys
      const created = yield* keys.create({ owner: "erin" })
      const sql = yield* SqlClient.SqlClient
      yield* sql`DROP TABLE toshi_api_keys`
      const error = yield* Effect.flip(keys.verify(created.key))
      assert.strictEqual(error._tag, "ApiKeyStoreError")
      assert.strictEqual(error.reason, "Unavailable")
    }).pipe(Effect.provide(memory())))
})
