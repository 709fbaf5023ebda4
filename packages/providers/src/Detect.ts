/**
 * toshi's auto-detection, as the Python tools do it: machine credentials first, then the person's
 * saved login, then an API key.
 *
 * 1. M2M: `NZSHM22_TOSHI_M2M_SECRET_ARN` and `NZSHM22_TOSHI_COGNITO_DOMAIN` (`Cognito.m2m`).
 * 2. A saved login: `~/.toshi/credentials`, renewed through the Cognito settings
 *    (`CognitoConfig`), kept in that file.
 * 3. An API key: the one the app passes, else `NZSHM22_TOSHI_API_KEY`, else, inside AWS Batch
 *    (`AWS_BATCH_JOB_ID`), the TEST or PROD secret chosen by `NZSHM22_TOSHI_API_URL`.
 *
 * When a higher source wins over a key or token that was set explicitly, a warning says so: a
 * silently ignored setting is a day lost.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as Path from "@effect/platform/Path"
import { AuthError, AuthProvider, TokenStore } from "@toshi/core"
import { CredentialsFile } from "@toshi/stores"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as ApiKey from "./ApiKey.js"
import * as Cognito from "./Cognito.js"
import * as CognitoConfig from "./CognitoConfig.js"
import type * as Aws from "./internal/aws.js"

/**
 * Which source was chosen.
 *
 * @since 0.1.0
 * @category models
 */
export type Source = "M2M" | "SavedLogin" | "ApiKey" | "BatchApiKey"

/**
 * What was detected, for the app to show ("using M2M credentials from …").
 *
 * @since 0.1.0
 * @category models
 */
export interface Detected {
  readonly source: Source
  /** A sentence naming the source, without any secret. */
  readonly description: string
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Detection extends Context.Tag("@toshi/providers/Detect/Detection")<Detection, Detected>() {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** An API key the app passes explicitly: used when there are no M2M credentials and no saved login. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Where the saved login is. Default `~/.toshi/credentials`. */
  readonly credentialsPath?: string | undefined
  /** Scopes for M2M. Default `toshi/read toshi/write`. */
  readonly scope?: ReadonlyArray<string> | undefined
  /** Every AWS call (Secrets Manager, Cognito): another endpoint, other credentials. */
  readonly aws?: Aws.AwsOptions | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Result extends Detected {
  readonly provider: AuthProvider.AuthProviderService
  readonly store: TokenStore.TokenStoreService
}

const optional = (name: string) => Effect.orElseSucceed(Config.option(Config.nonEmptyString(name)), () => Option.none<string>())

/**
 * The provider behind a saved login (`toshi login`'s file): renewed with REFRESH_TOKEN_AUTH through
 * the Cognito settings (`scientist_client_id`, `region`). Without them the saved token is still
 * served while it is valid, and renewing it is the `ConfigIncompleteError` that names the key.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeSavedLogin = (options: {
  readonly key: string
  /** What to tell a person who has no usable login, e.g. "run `toshi login`". */
  readonly loginHint: string
  readonly aws?: Aws.AwsOptions | undefined
}): Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient> =>
  Effect.flatMap(Effect.either(CognitoConfig.require(["scientist_client_id"])), (settings) =>
    settings._tag === "Right"
      ? Cognito.makeSavedSession({
        region: settings.right.region,
        clientId: settings.right.scientist_client_id,
        key: options.key,
        loginHint: options.loginHint,
        ...options.aws
      })
      : Effect.succeed(AuthProvider.make({
        key: options.key,
        acquire: Effect.fail(
          new AuthError.NoCredentialsError({ reason: "NotLoggedIn", description: `there is no usable saved login: ${options.loginHint}` })
        ),
        refresh: () => Effect.fail(settings.left)
      })))

/**
 * Detects the source and builds its provider and store.
 *
 * @since 0.1.0
 * @category constructors
 */
export const detect = (
  options: Options = {}
): Effect.Effect<Result, AuthError.AuthError, HttpClient.HttpClient | FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const envKey = yield* optional("NZSHM22_TOSHI_API_KEY")
    const explicit = options.apiKey !== undefined
      ? Option.some({ key: options.apiKey, what: "the API key passed to Detect.layer" })
      : Option.map(envKey, (key) => ({ key: Redacted.make(key), what: "NZSHM22_TOSHI_API_KEY" }))
    const overriding = (winner: string) =>
      Option.match(explicit, {
        onNone: () => Effect.void,
        onSome: ({ what }) => Effect.logWarning(`${what} is set but not used: ${winner} take precedence over it. Unset it to silence this warning.`)
      })

    // 1. Machine credentials.
    const m2m = yield* Cognito.m2mConfig
    if (Option.isSome(m2m)) {
      yield* overriding("the M2M credentials (NZSHM22_TOSHI_M2M_SECRET_ARN)")
      return {
        source: "M2M",
        description: `M2M client credentials from ${m2m.value.secretArn} at ${m2m.value.domain}`,
        provider: yield* Cognito.makeM2m({
          ...m2m.value,
          scope: options.scope,
          secretsManager: options.aws
        }),
        store: TokenStore.makeMemory()
      } satisfies Result
    }

    // 2. A saved login.
    const fs = yield* FileSystem.FileSystem
    const credentialsPath = options.credentialsPath ?? (yield* Path.Path).join(yield* CognitoConfig.directory, "credentials")
    const saved = yield* fs.exists(credentialsPath).pipe(Effect.orElseSucceed(() => false))
    if (saved) {
      const store = yield* CredentialsFile.make(credentialsPath)
      // A corrupt file is an error to fix, not a reason to fall through to another identity.
      const tokens = yield* store.load("toshi")
      if (Option.isSome(tokens)) {
        yield* overriding(`the saved login in ${credentialsPath}`)
        const provider = yield* makeSavedLogin({ key: "toshi", loginHint: "run `toshi login` to log in again", aws: options.aws })
        return { source: "SavedLogin", description: `the saved login in ${credentialsPath}`, provider, store } satisfies Result
      }
    }

    // 3. An API key.
    if (Option.isSome(explicit)) {
      return {
        source: "ApiKey",
        description: `the API key from ${explicit.value.what}`,
        provider: ApiKey.make({ apiKey: explicit.value.key }),
        store: TokenStore.makeMemory()
      } satisfies Result
    }
    const batchJob = yield* optional("AWS_BATCH_JOB_ID")
    if (Option.isSome(batchJob)) {
      const apiUrl = yield* optional("NZSHM22_TOSHI_API_URL")
      const secret = Option.flatMap(apiUrl, ApiKey.batchSecret)
      if (Option.isSome(secret)) {
        return {
          source: "BatchApiKey",
          description: `the API key in the Secrets Manager secret ${secret.value.secretId} (AWS Batch job ${batchJob.value})`,
          provider: yield* ApiKey.makeFromSecret({ ...secret.value, region: ApiKey.batchSecretRegion, ...options.aws }),
          store: TokenStore.makeMemory()
        } satisfies Result
      }
    }
    return yield* new AuthError.NoCredentialsError({
      reason: "NotConfigured",
      description: "no credentials found. Machines: set NZSHM22_TOSHI_M2M_SECRET_ARN and NZSHM22_TOSHI_COGNITO_DOMAIN. " +
        `People: run \`toshi login\` (saves ${credentialsPath}). Or set NZSHM22_TOSHI_API_KEY.`
    })
  })

/**
 * The detected provider and its store, and what was detected.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  options: Options = {}
): Layer.Layer<
  AuthProvider.AuthProvider | TokenStore.TokenStore | Detection,
  AuthError.AuthError,
  HttpClient.HttpClient | FileSystem.FileSystem | Path.Path
> =>
  Layer.effectContext(Effect.map(detect(options), (result) =>
    Context.make(AuthProvider.AuthProvider, result.provider).pipe(
      Context.add(TokenStore.TokenStore, result.store),
      Context.add(Detection, { source: result.source, description: result.description })
    )))
