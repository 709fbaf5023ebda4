/**
 * Every way getting or keeping a token can fail. Each error is tagged with its class name, has a
 * `reason` to match on and a `message` that says what to do next, and never carries a secret.
 *
 * @since 0.1.0
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"

/**
 * What an OAuth 2.0 server said when it refused a request (RFC 6749 §5.2), with the HTTP status.
 *
 * @since 0.1.0
 * @category models
 */
export interface OAuthErrorResponse {
  readonly status: number
  readonly error: string
  readonly errorDescription?: string | undefined
}

/**
 * There is no token and nothing to get one with: not logged in, no key configured, or an external
 * token function that returned nothing.
 *
 * @since 0.1.0
 * @category errors
 */
export class NoCredentialsError extends Data.TaggedError("NoCredentialsError")<{
  readonly reason: "NotLoggedIn" | "NotConfigured" | "EmptyToken" | "Cleared"
  readonly description: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `No credentials (${this.reason}): ${this.description}`
  }
}

/**
 * A token could not be renewed. `Transport`, `Timeout`, `ServerError` and `RateLimited` are
 * transient (retried while the current token can still be served); the rest are terminal and go to
 * the `RefreshPolicy`.
 *
 * @since 0.1.0
 * @category errors
 */
export class RefreshFailedError extends Data.TaggedError("RefreshFailedError")<{
  readonly reason:
    | "InvalidGrant"
    | "InvalidClient"
    | "Revoked"
    | "Rejected"
    | "Transport"
    | "Timeout"
    | "ServerError"
    | "RateLimited"
    | "InvalidResponse"
    | "InvalidConfig"
    | "InvalidIdToken"
    | "HookFailed"
    | "MissingPackage"
  readonly description: string
  /** For `RateLimited`: how long the server asked us to wait (`Retry-After`). */
  readonly retryAfter?: Duration.Duration
  /** The server's OAuth error response, when it sent one. */
  readonly oauth?: OAuthErrorResponse
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Token refresh failed (${this.reason}): ${this.description}${refreshAdvice[this.reason]}`
  }
}

// A refused client is a configuration problem, the same at login and at renewal (where a refused
// re-acquire becomes a `RefreshFailedError`): one piece of advice, added by the message alone.
const clientAdvice = ". The client was refused: check the client id and secret, and the client authentication method."

const refreshAdvice: Record<RefreshFailedError["reason"], string> = {
  InvalidGrant: ". The refresh token is expired or revoked: log in again (e.g. `toshi login --relogin`).",
  InvalidClient: clientAdvice,
  Revoked: ". The session was revoked: log in again.",
  Rejected: ". The identity provider refused to renew the session: log in again or check the account.",
  Transport: ". The identity provider could not be reached: check the network, proxy and endpoint URL.",
  Timeout: ". The identity provider did not answer in time: check the network or raise the timeout.",
  ServerError: ". The identity provider had an internal error: retry later.",
  RateLimited: ". The identity provider is throttling requests: retry later, or refresh less often.",
  InvalidResponse: ". The identity provider answered with something that is not a token response: check the endpoint URL.",
  InvalidConfig: ". Check the endpoint and client configuration.",
  InvalidIdToken: ". The identity provider's ID token did not verify: check the issuer and client id, or report it to the provider.",
  HookFailed: ". A refresh hook failed: see the cause.",
  // The description names the package and how to install it.
  MissingPackage: ""
}

/**
 * The first grant was refused: wrong user or password, a denied consent, an expired device code.
 *
 * @since 0.1.0
 * @category errors
 */
export class LoginFailedError extends Data.TaggedError("LoginFailedError")<{
  readonly reason:
    | "InvalidCredentials"
    | "UserNotFound"
    | "PasswordResetRequired"
    | "NewPasswordRequired"
    | "AccessDenied"
    | "Expired"
    | "InvalidClient"
    | "InvalidScope"
    | "Transport"
    | "Timeout"
    | "ServerError"
    | "RateLimited"
    | "InvalidResponse"
    | "Unsupported"
    | "ExternalFailed"
    | "InvalidConfig"
    | "InvalidIdToken"
    | "MissingPackage"
  readonly description: string
  readonly retryAfter?: Duration.Duration
  /** The server's OAuth error response, when it sent one. */
  readonly oauth?: OAuthErrorResponse
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Login failed (${this.reason}): ${this.description}${this.reason === "InvalidClient" ? clientAdvice : ""}`
  }
}

/**
 * Configuration lacks keys a provider needs. `missing` names every one of them.
 *
 * @since 0.1.0
 * @category errors
 */
export class ConfigIncompleteError extends Data.TaggedError("ConfigIncompleteError")<{
  /** What was being configured, e.g. `"Cognito"`. */
  readonly subject: string
  readonly missing: ReadonlyArray<string>
  /** Where the configuration was read from, e.g. a file path or `"environment"`. */
  readonly source?: string
  /** `MissingKeys`: keys are absent or empty. `Malformed`: the source cannot be read as configuration at all. */
  readonly reason: "MissingKeys" | "Malformed"
  /** For `Malformed`: what is wrong with it. */
  readonly description?: string
}> {
  override get message(): string {
    const where = this.source === undefined ? "" : ` (read from ${this.source})`
    if (this.reason === "Malformed") {
      return `${this.subject} config is malformed${where}: ${this.description ?? "it could not be read"}. Fix or remove it.`
    }
    return `${this.subject} config missing required keys: ${this.missing.join(", ")}${where}. Set them in the config file or the environment.`
  }
}

/**
 * Exchanging an ID token for AWS credentials through a Cognito Identity Pool failed.
 *
 * @since 0.1.0
 * @category errors
 */
export class IdentityPoolError extends Data.TaggedError("IdentityPoolError")<{
  readonly reason:
    | "GetIdFailed"
    | "GetCredentialsFailed"
    | "NoIdToken"
    | "NotAuthorized"
    | "InvalidConfig"
    | "Transport"
    | "Timeout"
    | "ServerError"
    | "RateLimited"
    | "InvalidResponse"
    | "MissingPackage"
  readonly description: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Identity pool federation failed (${this.reason}): ${this.description}${identityPoolAdvice[this.reason]}`
  }
}

const identityPoolAdvice: Record<IdentityPoolError["reason"], string> = {
  GetIdFailed: ". Check the identity pool id and that it trusts this user pool.",
  GetCredentialsFailed: ". Check the identity pool's authenticated role and its trust policy.",
  NoIdToken: ". Log in with a flow that returns an ID token (e.g. `toshi login`); API keys and M2M tokens cannot be federated.",
  NotAuthorized: ". Log in again (e.g. `toshi login --relogin`); if it persists, check that the identity pool trusts this user pool and app client.",
  InvalidConfig: ". Check the identity pool id, region and user pool id.",
  Transport: ". Check the network, proxy and endpoint.",
  Timeout: ". Check the network or raise the timeout.",
  ServerError: ". Retry later.",
  RateLimited: ". Retry later, or ask for credentials less often.",
  InvalidResponse: ". Check the endpoint.",
  // The description names the package and how to install it.
  MissingPackage: ""
}

/**
 * A token store could not load, save, clear or lock. `path` names the file when there is one.
 *
 * @since 0.1.0
 * @category errors
 */
export class TokenStoreError extends Data.TaggedError("TokenStoreError")<{
  readonly reason: "Corrupt" | "Permission" | "LockTimeout" | "Io" | "Unsupported"
  readonly description: string
  readonly path?: string
  readonly cause?: unknown
}> {
  override get message(): string {
    const where = this.path === undefined ? "" : ` at ${this.path}`
    // A failed file operation says what to check; a custom store's own error speaks for itself,
    // and Corrupt and LockTimeout say what to do in their descriptions.
    const advice = this.path === undefined ? "" : storeAdvice[this.reason] ?? ""
    return `Token store ${this.reason}${where}: ${this.description}${advice}`
  }
}

const storeAdvice: Partial<Record<TokenStoreError["reason"], string>> = {
  Permission: ". Check that this user may read and write the file and its directory (their owner and mode).",
  Io: ". Check the path and the file system it is on (free space, read-only or unmounted), then try again."
}

/**
 * Every error toshi's token lifecycle can fail with.
 *
 * @since 0.1.0
 * @category errors
 */
export type AuthError =
  | NoCredentialsError
  | RefreshFailedError
  | LoginFailedError
  | ConfigIncompleteError
  | IdentityPoolError
  | TokenStoreError

const tags = new Set<string>([
  "NoCredentialsError",
  "RefreshFailedError",
  "LoginFailedError",
  "ConfigIncompleteError",
  "IdentityPoolError",
  "TokenStoreError"
])

/**
 * @since 0.1.0
 * @category guards
 */
export const isAuthError = (u: unknown): u is AuthError =>
  Predicate.hasProperty(u, "_tag") && typeof u._tag === "string" && tags.has(u._tag)

const transientReasons = new Set<string>(["Transport", "Timeout", "ServerError", "RateLimited"])

/**
 * Whether an error is worth retrying: the network, a timeout, a 5xx or a 429. Everything else is
 * terminal.
 *
 * @since 0.1.0
 * @category guards
 */
export const isTransient = (error: AuthError): boolean =>
  (error._tag === "RefreshFailedError" || error._tag === "LoginFailedError" || error._tag === "IdentityPoolError") &&
  transientReasons.has(error.reason)

/**
 * The wait a server asked for, if any.
 *
 * @since 0.1.0
 * @category accessors
 */
export const retryAfter = (error: AuthError): Duration.Duration | undefined =>
  error._tag === "RefreshFailedError" || error._tag === "LoginFailedError" ? error.retryAfter : undefined

const passedThrough = new Set<string>(["InvalidClient", "InvalidResponse", "InvalidConfig", "InvalidIdToken", "MissingPackage"])

/**
 * The error a caller of a renewed session sees: a refused grant (`LoginFailedError`, e.g. a revoked
 * M2M client re-acquiring) becomes a `RefreshFailedError` with the original as its cause; other
 * errors (a broken store, missing configuration) stay what they are.
 *
 * @since 0.1.0
 * @category constructors
 */
export const renewalError = (error: AuthError): AuthError => {
  if (error._tag !== "LoginFailedError") return error
  const reason: RefreshFailedError["reason"] = transientReasons.has(error.reason) || passedThrough.has(error.reason)
    ? (error.reason as RefreshFailedError["reason"])
    : "Rejected"
  return new RefreshFailedError({
    reason,
    description: error.description,
    ...(error.retryAfter === undefined ? {} : { retryAfter: error.retryAfter }),
    ...(error.oauth === undefined ? {} : { oauth: error.oauth }),
    cause: error
  })
}
