/**
 * API keys of the form `{prefix}_{id}_{secret}` (prefix `sv` by default), shown once when created
 * and stored only as a fingerprint (SHA-256, or an HMAC with a server-side pepper) that is compared
 * in constant time. Keys can be revoked, record when they were last used, and may be limited to
 * one resource. They live in any `@effect/sql` database (SQLite by default).
 *
 * @since 0.1.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import type { ConfigError } from "effect/ConfigError"
import * as Context from "effect/Context"
import type * as DateTime from "effect/DateTime"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as internal from "./internal/apiKeys.js"
import type * as Principal from "./Principal.js"
import type { ApiKeyStoreError, InvalidToken, VerifierMisconfigured } from "./VerifyError.js"

/**
 * What is stored about a key: never the key itself.
 *
 * @since 0.1.0
 * @category models
 */
export interface ApiKeyInfo {
  readonly id: string
  readonly owner: string
  readonly resource?: string
  readonly createdAt: DateTime.Utc
  readonly lastUsedAt?: DateTime.Utc
  readonly revokedAt?: DateTime.Utc
}

/**
 * A key just created. `key` is the only copy of the secret: hand it to its owner now.
 *
 * @since 0.1.0
 * @category models
 */
export interface CreatedApiKey extends ApiKeyInfo {
  readonly key: Redacted.Redacted<string>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ApiKeysService {
  readonly prefix: string
  /** Whether a credential has this store's key shape (`{prefix}_…`), to route it here rather than to a JWT verifier. */
  readonly looksLikeKey: (value: string) => boolean
  readonly create: (request: {
    readonly owner: string
    readonly resource?: string | undefined
  }) => Effect.Effect<CreatedApiKey, ApiKeyStoreError>
  /** The principal of a valid key; `UnknownApiKey` or `RevokedApiKey` otherwise. */
  readonly verify: (
    key: string | Redacted.Redacted<string>
  ) => Effect.Effect<Principal.ApiKey, InvalidToken | ApiKeyStoreError>
  /** Revokes a key at once. `false` when there was no live key with that id. */
  readonly revoke: (id: string) => Effect.Effect<boolean, ApiKeyStoreError>
  /** An owner's keys, revoked ones included, oldest first. */
  readonly list: (owner: string) => Effect.Effect<ReadonlyArray<ApiKeyInfo>, ApiKeyStoreError>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class ApiKeys extends Context.Tag("@toshi/server/ApiKeys")<ApiKeys, ApiKeysService>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default `"sv"`, giving keys `sv_{id}_{secret}`. Letters and digits. */
  readonly prefix?: string | undefined
  /** A server-side secret: fingerprints become HMAC-SHA-256 under it instead of SHA-256. Changing it invalidates every key. */
  readonly pepper?: Redacted.Redacted<string> | undefined
  /** Default `"toshi_api_keys"`. */
  readonly table?: string | undefined
  /** Create the table (and its index) if it does not exist. Default true; turn off when your migrations own it. */
  readonly createTable?: boolean | undefined
  /** `last_used_at` is written at most this often per key. Default 1 minute. */
  readonly lastUsedResolution?: Duration.DurationInput | undefined
}

/**
 * An API key store over the `SqlClient` in context.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  options?: Options
) => Effect.Effect<ApiKeysService, ApiKeyStoreError | VerifierMisconfigured, SqlClient.SqlClient> = internal.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layerSql = (
  options?: Options
): Layer.Layer<ApiKeys, ApiKeyStoreError | VerifierMisconfigured, SqlClient.SqlClient> => Layer.effect(ApiKeys, make(options))

/**
 * An API key store in a SQLite file (`":memory:"` for a throwaway one), through
 * `@effect/sql-sqlite-node`. The SQLite driver is loaded only when this layer is built.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerSqlite = (
  filename: string,
  options?: Options
): Layer.Layer<ApiKeys, ApiKeyStoreError | VerifierMisconfigured | ConfigError> =>
  Layer.unwrapEffect(
    Effect.map(
      Effect.promise(() => import("@effect/sql-sqlite-node/SqliteClient")),
      (Sqlite) => layerSql(options).pipe(Layer.provide(Sqlite.layer({ filename })))
    )
  )

/**
 * Verifies a key with the store in context.
 *
 * @since 0.1.0
 * @category accessors
 */
export const verify = (
  key: string | Redacted.Redacted<string>
): Effect.Effect<Principal.ApiKey, InvalidToken | ApiKeyStoreError, ApiKeys> =>
  Effect.flatMap(ApiKeys, (keys) => keys.verify(key))
