/**
 * What the commands say when there is nothing to log in to yet. Every message ends in a command to
 * run that moves the person forward: `token` and `login` never send them to each other in a circle.
 *
 * @internal
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { AuthError } from "@toshi/core"
import { CognitoConfig } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Profile from "../Profile.js"

/** How to set up a first profile: generic, for whichever identity provider the person has. */
export const setupSteps = [
  "  any OpenID Connect issuer (Keycloak, Auth0, Okta, Entra ID, a Cognito domain...):",
  "    toshi profile add NAME --issuer https://id.example.org --client-id CLIENT_ID",
  "    toshi login -p NAME",
  "  or a Cognito user pool, as the default profile:",
  "    toshi config set user_pool_id POOL_ID",
  "    toshi config set region REGION",
  "    toshi config set scientist_client_id APP_CLIENT_ID",
  "    toshi login"
].join("\n")

/** Whether the Cognito `default` profile has any settings, from the environment or its file. */
export const cognitoConfigured: Effect.Effect<boolean> = Effect.match(CognitoConfig.config, {
  onFailure: () => false,
  onSuccess: (settings) => Option.isSome(settings.scientist_client_id) || Option.isSome(settings.user_pool_id)
})

/**
 * The error for a `default` profile that is not set up: the named profiles to log in to, if any,
 * and how to set one up.
 */
export const notSetUp: Effect.Effect<AuthError.NoCredentialsError, AuthError.ConfigIncompleteError, FileSystem.FileSystem | Path.Path> = Effect
  .map(Profile.all, (profiles) => {
    const named = profiles.filter((profile) => profile._tag === "Oidc")
    const intro = named.length === 0
      ? "no profile is set up yet. Set one up, then log in:"
      : `the default profile is not set up. Log in to a named profile (${named.map((p) => p.name).join(", ")}) with ` +
        `\`toshi login -p ${named[0]!.name}\`, or set one up:`
    return new AuthError.NoCredentialsError({ reason: "NotConfigured", description: `${intro}\n${setupSteps}` })
  })

/**
 * Runs a command for `selected`; when that is `default`, not set up, and the command found no
 * credentials (or no Cognito client to log in with), fails with the set-up steps instead.
 */
export const guide = (selected: Profile.Profile) =>
<A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E | AuthError.NoCredentialsError | AuthError.ConfigIncompleteError, R | FileSystem.FileSystem | Path.Path> =>
  selected._tag !== "Cognito" ? effect : Effect.catchAll(effect, (error) => {
    const tag = (error as { readonly _tag?: unknown })._tag
    const guided = tag === "NoCredentialsError" ||
      (tag === "ConfigIncompleteError" && (error as unknown as AuthError.ConfigIncompleteError).missing.includes("scientist_client_id"))
    type Failure = E | AuthError.NoCredentialsError | AuthError.ConfigIncompleteError
    if (!guided) return Effect.fail<Failure>(error)
    return Effect.flatMap(
      cognitoConfigured,
      (configured): Effect.Effect<never, Failure, FileSystem.FileSystem | Path.Path> =>
        configured ? Effect.fail(error) : Effect.flatMap(notSetUp, Effect.fail)
    )
  })
