import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Path from "@effect/platform/Path"
import { type AuthError, AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import { ClientAuth, Detect, OAuth2 } from "@toshi/providers"
import { CredentialsFile, FileTokenStore } from "@toshi/stores"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import * as Profile from "../Profile.js"

/** What every command needs from the platform. */
export type Environment = HttpClient.HttpClient | FileSystem.FileSystem | Path.Path

/**
 * Another AWS endpoint for every AWS call (`AWS_ENDPOINT_URL`, as the AWS CLI and SDKs name it):
 * an emulator in tests and the demo.
 */
export const awsEndpoint: Effect.Effect<string | undefined> = Effect.map(
  Effect.orElseSucceed(Config.option(Config.nonEmptyString("AWS_ENDPOINT_URL")), () => Option.none<string>()),
  Option.getOrUndefined
)

/** A profile's saved tokens: where they are and the store that keeps them. */
export interface Saved {
  readonly path: string
  readonly key: string
  readonly store: TokenStore.TokenStoreService
}

export const saved = (profile: Profile.Profile): Effect.Effect<Saved, never, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const path = yield* Path.Path
    const dir = yield* Profile.directory
    if (profile._tag === "Cognito") {
      const file = path.join(dir, "credentials")
      return { path: file, key: profile.name, store: yield* CredentialsFile.make(file) }
    }
    const file = path.join(dir, "tokens.json")
    return { path: file, key: profile.name, store: yield* FileTokenStore.make(file) }
  })

const loginHint = (profile: Profile.Profile) =>
  profile.name === Profile.defaultProfile.name ? "run `toshi login`" : `run \`toshi login --profile ${profile.name}\``

/** Renews a saved OIDC session with its refresh token; it cannot log in by itself. */
const oidcSession = (profile: Profile.OidcProfile): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  OAuth2.makeSavedSession({
    issuer: profile.issuer,
    client: ClientAuth.none(profile.clientId),
    key: profile.name,
    notLoggedIn: `not logged in to profile ${profile.name}: ${loginHint(profile)}`
  })

/** The identity a command works with, and how it was found. */
export interface Session {
  readonly provider: AuthProvider.AuthProviderService
  readonly store: TokenStore.TokenStoreService
  readonly description: string
  readonly source: Detect.Source | "Oidc"
}

/**
 * The session of a profile: for `default`, toshi's detection (M2M > the saved login > an API
 * key); for a named profile, its saved login.
 */
export const session = (profile: Profile.Profile): Effect.Effect<Session, AuthError.AuthError, Environment> =>
  Effect.gen(function*() {
    if (profile._tag === "Cognito") {
      const endpoint = yield* awsEndpoint
      const file = yield* saved(profile)
      return yield* Detect.detect({ credentialsPath: file.path, aws: endpoint === undefined ? undefined : { endpoint } })
    }
    const file = yield* saved(profile)
    return {
      provider: yield* oidcSession(profile),
      store: file.store,
      description: `the saved login of profile ${profile.name} in ${file.path}`,
      source: "Oidc" as const
    }
  })

/**
 * The saved login of a profile only (not M2M or an API key): what `login` may reuse and `logout`
 * ends.
 */
export const savedLogin = (profile: Profile.Profile): Effect.Effect<Session, never, Environment> =>
  Effect.gen(function*() {
    const file = yield* saved(profile)
    if (profile._tag === "Oidc") {
      return { provider: yield* oidcSession(profile), store: file.store, description: file.path, source: "Oidc" as const }
    }
    const endpoint = yield* awsEndpoint
    const provider = yield* Detect.makeSavedLogin({
      key: profile.name,
      loginHint: loginHint(profile),
      aws: endpoint === undefined ? undefined : { endpoint }
    })
    return { provider, store: file.store, description: file.path, source: "SavedLogin" as const }
  })

/** Renewal notices go to stderr: stdout stays clean for `$(toshi token --raw)`. */
const notices = RefreshHooks.make({
  onRefreshSuccess: (context, tokens) =>
    context.method === "refresh"
      ? Console.error(`toshi: renewed the session (valid until ${DateTime.formatIso(tokens.expiresAt)})`)
      : Effect.void
})

/**
 * A token manager for one command: no background refresh (the process is short-lived), and a
 * token is renewed when it has less than a minute left.
 */
export const manager = (
  current: Session
): Effect.Effect<TokenManager.TokenManagerService, never, Scope.Scope> =>
  TokenManager.make({ backgroundRefresh: false, refreshAhead: "1 minute", expirySkew: "30 seconds" }).pipe(
    Effect.provideService(AuthProvider.AuthProvider, current.provider),
    Effect.provideService(TokenStore.TokenStore, current.store),
    Effect.provideService(RefreshPolicy.RefreshPolicy, RefreshPolicy.raise),
    Effect.provideService(RefreshHooks.RefreshHooks, notices)
  )
