import { Jwt, TokenSet } from "@toshi/core"
import * as DateTime from "effect/DateTime"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type { Document, Format } from "./fileStore.js"

const isObject = (u: unknown): u is Record<string, unknown> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const decodeTokenSet = Schema.decodeUnknownEither(TokenSet.TokenSet)

/** The marker and version of toshi's own token file. */
const FORMAT = "toshi-token-store"
const VERSION = 1

/**
 * toshi's own file: many identities, keyed, in a versioned envelope.
 *
 * ```json
 * { "format": "toshi-token-store", "version": 1, "tokens": { "<key>": { "accessToken": "…", … } } }
 * ```
 *
 * @internal
 */
export const tokenStoreFormat: Format = {
  kind: "toshi token file",
  check: (json) => {
    if (!isObject(json) || json["format"] !== FORMAT || !isObject(json["tokens"])) {
      return Either.left(`this is not a toshi token file (no "format": "${FORMAT}" envelope)`)
    }
    const version = json["version"]
    if (typeof version !== "number" || version > VERSION) {
      return Either.left(`this toshi token file has version ${String(version)}, newer than this toshi reads (${VERSION}): upgrade toshi`)
    }
    return Either.right(json)
  },
  get: (document, key) => {
    const entry = (document["tokens"] as Record<string, unknown>)[key]
    if (entry === undefined) return Either.right(Option.none())
    return Either.match(decodeTokenSet(entry), {
      onLeft: () => Either.left(`the entry for "${key}" in the toshi token file is malformed`),
      onRight: (tokens) => Either.right(Option.some(tokens))
    })
  },
  set: (document, key, tokens) => ({
    ...document,
    format: FORMAT,
    version: VERSION,
    tokens: { ...(document?.["tokens"] as Record<string, unknown> | undefined), [key]: TokenSet.encode(tokens) }
  }),
  remove: (document, key) => {
    const { [key]: _, ...rest } = document["tokens"] as Record<string, unknown>
    return Object.keys(rest).length === 0 ? undefined : { ...document, tokens: rest }
  }
}

/**
 * The credentials file the Python toshi-auth tool writes, so that both share one login: one
 * identity, snake_case, `expires_at` in epoch seconds. Fields toshi does not know are kept as they are.
 *
 * ```json
 * { "access_token": "…", "id_token": "…", "refresh_token": "…", "token_type": "Bearer", "expires_at": 1767225600 }
 * ```
 *
 * @internal
 */
export const credentialsFormat: Format = {
  kind: "toshi credentials file",
  check: (json) =>
    isObject(json) && typeof json["access_token"] === "string"
      ? Either.right(json)
      : Either.left(`this is not a toshi credentials file (no "access_token")`),
  get: (document) => {
    const access = document["access_token"] as string
    const optional = (name: string): Either.Either<string | undefined, string> => {
      const value = document[name]
      return value === undefined || value === null || value === ""
        ? Either.right(undefined)
        : typeof value === "string"
        ? Either.right(value)
        : Either.left(`"${name}" in the toshi credentials file is not a string`)
    }
    return Either.gen(function*() {
      const idToken = yield* optional("id_token")
      const refreshToken = yield* optional("refresh_token")
      const tokenType = yield* optional("token_type")
      const scope = yield* optional("scope")
      const expiresAt = yield* expiry(document["expires_at"], access)
      const issuedAt = Jwt.unverifiedIssuedAt(access)
      return Option.some(TokenSet.make({
        accessToken: Redacted.make(access),
        expiresAt,
        // The Python tool writes "bearer" as well as "Bearer": the scheme is case-insensitive.
        ...(tokenType === undefined || tokenType.toLowerCase() === "bearer" ? {} : { tokenType }),
        ...(idToken === undefined ? {} : { idToken: Redacted.make(idToken) }),
        ...(refreshToken === undefined ? {} : { refreshToken: Redacted.make(refreshToken) }),
        ...(scope === undefined ? {} : { scope: scope.split(" ").filter((s) => s !== "") }),
        ...(Option.isSome(issuedAt) ? { issuedAt: issuedAt.value } : {})
      }))
    })
  },
  set: (document, _key, tokens) => {
    const { id_token: _i, refresh_token: _r, scope: _s, ...kept } = document ?? {}
    const next: Record<string, unknown> = {
      ...kept,
      access_token: Redacted.value(tokens.accessToken),
      token_type: tokens.tokenType,
      expires_at: Math.floor(tokens.expiresAt.epochMillis / 1000)
    }
    if (tokens.idToken !== undefined) next["id_token"] = Redacted.value(tokens.idToken)
    if (tokens.refreshToken !== undefined) next["refresh_token"] = Redacted.value(tokens.refreshToken)
    if (tokens.scope.length > 0) next["scope"] = tokens.scope.join(" ")
    return next
  },
  remove: () => undefined
}

/** `expires_at` as epoch seconds or an ISO date; without one, the access token's own `exp`. */
const expiry = (value: unknown, access: string): Either.Either<DateTime.Utc, string> => {
  if (typeof value === "number" && Number.isFinite(value)) return Either.right(DateTime.unsafeMake(value * 1000))
  if (typeof value === "string") {
    const parsed = DateTime.make(/^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : value)
    if (Option.isSome(parsed)) return Either.right(DateTime.toUtc(parsed.value))
  }
  if (value === undefined || value === null) {
    const exp = Jwt.unverifiedExpiry(access)
    if (Option.isSome(exp)) return Either.right(exp.value)
  }
  return Either.left(`"expires_at" in the toshi credentials file is missing or not a time`)
}

/** @internal */
export type { Document }
