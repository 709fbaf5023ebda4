/** @internal */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import * as Crypto from "node:crypto"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as ApiKeys from "../ApiKeys.js"
import { ApiKey } from "../Principal.js"
import { ApiKeyStoreError, InvalidToken, VerifierMisconfigured } from "../VerifyError.js"

const ID_BYTES = 8
const SECRET_BYTES = 32

const Row = Schema.Struct({
  id: Schema.String,
  owner: Schema.String,
  resource: Schema.NullOr(Schema.String),
  fingerprint: Schema.String,
  created_at: Schema.String,
  last_used_at: Schema.NullOr(Schema.String),
  revoked_at: Schema.NullOr(Schema.String)
})
type Row = typeof Row.Type
const decodeRows = Schema.decodeUnknown(Schema.Array(Row))

const storeError = (error: SqlError) =>
  new ApiKeyStoreError({ reason: "Unavailable", description: `the database failed (${error.message || "SqlError"})` })

const unknownKey = (description: string) => new InvalidToken({ reason: "UnknownApiKey", description }, true)

const parseTime = (text: string | null): DateTime.Utc | undefined =>
  text === null ? undefined : Option.getOrUndefined(DateTime.make(text).pipe(Option.map(DateTime.toUtc)))

const info = (row: Row): ApiKeys.ApiKeyInfo => {
  const lastUsedAt = parseTime(row.last_used_at)
  const revokedAt = parseTime(row.revoked_at)
  return {
    id: row.id,
    owner: row.owner,
    ...(row.resource === null ? {} : { resource: row.resource }),
    createdAt: parseTime(row.created_at) ?? DateTime.unsafeMake(0),
    ...(lastUsedAt === undefined ? {} : { lastUsedAt }),
    ...(revokedAt === undefined ? {} : { revokedAt })
  }
}

export const make = Effect.fn("ApiKeys.make")(function*(options: ApiKeys.Options = {}) {
  const prefix = options.prefix ?? "sv"
  if (!/^[A-Za-z][A-Za-z0-9]{0,15}$/.test(prefix)) {
    return yield* new VerifierMisconfigured({
      reason: "InvalidOption",
      description: "the API key prefix must be 1 to 16 letters and digits, starting with a letter"
    })
  }
  const table = options.table ?? "toshi_api_keys"
  if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(table)) {
    return yield* new VerifierMisconfigured({ reason: "InvalidOption", description: "the API key table name must be a plain SQL identifier" })
  }
  const resolution = Duration.decode(options.lastUsedResolution ?? "1 minute")
  // The user's own name transforms (camelCase and the like) would rename our columns.
  const sql = (yield* SqlClient.SqlClient).withoutTransforms()
  const t = sql(table)
  const keyPattern = new RegExp(`^${prefix}_([0-9a-f]{${ID_BYTES * 2}})_([0-9a-f]{${SECRET_BYTES * 2}})$`)

  // A fingerprint of the whole key (prefix and id included, so a row's fingerprint cannot vouch for
  // another id). With a pepper, a stolen table alone does not allow checking guesses offline.
  const pepper = options.pepper === undefined ? undefined : Redacted.value(options.pepper)
  const fingerprint = (key: string): string =>
    pepper === undefined
      ? `sha256:${Crypto.createHash("sha256").update(key).digest("hex")}`
      : `hmac-sha256:${Crypto.createHmac("sha256", pepper).update(key).digest("hex")}`
  // Compared against when the id is unknown, so that an unknown id and a wrong secret take as long.
  const decoy = fingerprint(`${prefix}_decoy`)

  if (options.createTable !== false) {
    yield* sql`CREATE TABLE IF NOT EXISTS ${t} (
      id VARCHAR(32) PRIMARY KEY,
      owner VARCHAR(255) NOT NULL,
      resource VARCHAR(255),
      fingerprint VARCHAR(128) NOT NULL,
      created_at VARCHAR(32) NOT NULL,
      last_used_at VARCHAR(32),
      revoked_at VARCHAR(32)
    )`.pipe(Effect.mapError(storeError))
    yield* sql`CREATE INDEX IF NOT EXISTS ${sql(`${table}_owner`)} ON ${t} (owner)`.pipe(Effect.mapError(storeError))
  }

  const select = (id: string) =>
    sql`SELECT id, owner, resource, fingerprint, created_at, last_used_at, revoked_at FROM ${t} WHERE id = ${id}`.pipe(
      Effect.mapError(storeError),
      Effect.flatMap((rows) => decodeRows(rows)),
      Effect.catchTag("ParseError", () => new ApiKeyStoreError({ reason: "Corrupt", description: "an API key row has unexpected columns" }))
    )

  const now = Effect.map(DateTime.now, DateTime.formatIso)

  const create = Effect.fn("ApiKeys.create")(function*(request: { readonly owner: string; readonly resource?: string | undefined }) {
    if (request.owner === "") return yield* Effect.dieMessage("ApiKeys.create: owner must not be empty")
    const id = Crypto.randomBytes(ID_BYTES).toString("hex")
    const key = `${prefix}_${id}_${Crypto.randomBytes(SECRET_BYTES).toString("hex")}`
    const createdAt = yield* now
    yield* sql`INSERT INTO ${t} (id, owner, resource, fingerprint, created_at) VALUES (${id}, ${request.owner}, ${
      request.resource ?? null
    }, ${fingerprint(key)}, ${createdAt})`.pipe(Effect.mapError(storeError))
    const created: ApiKeys.CreatedApiKey = {
      id,
      owner: request.owner,
      ...(request.resource === undefined ? {} : { resource: request.resource }),
      createdAt: DateTime.unsafeMake(createdAt),
      key: Redacted.make(key)
    }
    return created
  })

  const verify = Effect.fn("ApiKeys.verify")(function*(input: string | Redacted.Redacted<string>) {
    const key = typeof input === "string" ? input : Redacted.value(input)
    const match = keyPattern.exec(key)
    if (match === null) return yield* unknownKey(`the key is not of the form ${prefix}_{id}_{secret}`)
    const row = (yield* select(match[1]!))[0]
    const expected = Buffer.from(row?.fingerprint ?? decoy)
    const actual = Buffer.from(fingerprint(key))
    const same = expected.length === actual.length && Crypto.timingSafeEqual(expected, actual)
    if (row === undefined || !same) return yield* unknownKey("no such API key")
    // Only a caller who holds the secret learns that the key existed and was revoked.
    if (row.revoked_at !== null) {
      return yield* new InvalidToken({ reason: "RevokedApiKey", description: "the API key was revoked" }, true)
    }
    const usedAt = yield* DateTime.now
    const last = parseTime(row.last_used_at)
    // Written at most once per resolution, so a busy key does not turn every request into a write.
    if (last === undefined || DateTime.distance(last, usedAt) >= Duration.toMillis(resolution)) {
      yield* sql`UPDATE ${t} SET last_used_at = ${DateTime.formatIso(usedAt)} WHERE id = ${row.id}`.pipe(
        Effect.catchAll((error) => Effect.logWarning("API key last_used_at could not be written", { id: row.id, error: error.message }))
      )
    }
    return new ApiKey({ keyId: row.id, owner: row.owner, ...(row.resource === null ? {} : { resource: row.resource }) })
  })

  const revoke = Effect.fn("ApiKeys.revoke")(function*(id: string) {
    return yield* sql.withTransaction(Effect.gen(function*() {
      const row = (yield* select(id))[0]
      if (row === undefined || row.revoked_at !== null) return false
      yield* sql`UPDATE ${t} SET revoked_at = ${yield* now} WHERE id = ${id}`
      return true
    })).pipe(Effect.catchTag("SqlError", (error) => Effect.fail(storeError(error))))
  })

  const list = Effect.fn("ApiKeys.list")(function*(owner: string) {
    const rows = yield* sql`SELECT id, owner, resource, fingerprint, created_at, last_used_at, revoked_at FROM ${t} WHERE owner = ${owner} ORDER BY created_at, id`.pipe(
      Effect.mapError(storeError),
      Effect.flatMap((rows) => decodeRows(rows)),
      Effect.catchTag("ParseError", () => new ApiKeyStoreError({ reason: "Corrupt", description: "an API key row has unexpected columns" }))
    )
    return rows.map(info)
  })

  const service: ApiKeys.ApiKeysService = {
    prefix,
    looksLikeKey: (value) => value.startsWith(`${prefix}_`),
    create,
    verify,
    revoke,
    list
  }
  return service
})
