/**
 * OpenID Connect discovery: an issuer's endpoints from its `/.well-known/openid-configuration`,
 * fetched once per issuer and process.
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import type { AuthError } from "@toshi/core"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as IdToken from "./IdToken.js"
import * as Http from "./internal/http.js"

/**
 * The metadata toshi uses (OpenID Connect Discovery 1.0 §3, RFC 8414).
 *
 * @since 0.1.0
 * @category models
 */
export class Metadata extends Schema.Class<Metadata>("@toshi/providers/Oidc/Metadata")({
  issuer: Schema.String,
  token_endpoint: Schema.String,
  authorization_endpoint: Schema.optional(Schema.String),
  device_authorization_endpoint: Schema.optional(Schema.String),
  jwks_uri: Schema.optional(Schema.String),
  userinfo_endpoint: Schema.optional(Schema.String),
  revocation_endpoint: Schema.optional(Schema.String),
  end_session_endpoint: Schema.optional(Schema.String),
  grant_types_supported: Schema.optional(Schema.Array(Schema.String)),
  code_challenge_methods_supported: Schema.optional(Schema.Array(Schema.String)),
  id_token_signing_alg_values_supported: Schema.optional(Schema.Array(Schema.String))
}) {}

const cache = new Map<string, Metadata>()

/**
 * Discovers an issuer. The document must name the same issuer it was fetched for; anything else
 * is a typed error. Successful answers are kept for the life of the process.
 *
 * @since 0.1.0
 * @category constructors
 */
export const discover = (
  issuer: string,
  options: { readonly timeout?: Duration.DurationInput | undefined } = {}
): Effect.Effect<Metadata, AuthError.LoginFailedError | AuthError.RefreshFailedError, HttpClient.HttpClient> =>
  Effect.suspend(() => {
    const normalized = issuer.replace(/\/+$/, "")
    const cached = cache.get(normalized)
    if (cached !== undefined) return Effect.succeed(cached)
    return Http.getJson({
      url: `${normalized}/.well-known/openid-configuration`,
      what: "issuer",
      phase: "login",
      timeout: options.timeout ?? "30 seconds"
    }, Metadata, "OpenID Connect discovery metadata").pipe(
      Effect.filterOrFail(
        (metadata) => metadata.issuer.replace(/\/+$/, "") === normalized,
        (metadata) =>
          Http.toError("login", {
            reason: "InvalidResponse",
            description: `the discovery document of ${normalized} names another issuer (${metadata.issuer}): check the issuer URL`
          })
      ),
      Effect.tap((metadata) => Effect.sync(() => cache.set(normalized, metadata)))
    )
  })

/**
 * What `IdToken.validate` needs, from an issuer's metadata.
 *
 * @since 0.1.0
 * @category accessors
 */
export const validation = (metadata: Metadata): IdToken.Validation | undefined =>
  metadata.jwks_uri === undefined
    ? undefined
    : {
      issuer: metadata.issuer,
      jwksUri: metadata.jwks_uri,
      ...(metadata.id_token_signing_alg_values_supported === undefined
        ? {}
        : { algorithms: metadata.id_token_signing_alg_values_supported.filter((alg) => alg !== "none" && !alg.startsWith("HS")) })
    }
