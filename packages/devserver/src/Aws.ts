/**
 * A loopback emulator of the AWS JSON 1.1 protocol, for what cognito-local lacks: Secrets Manager,
 * a Cognito Identity Pool, a user pool's CUSTOM_AUTH sign-in with an emailed code, and a Cognito
 * domain's `client_credentials` token endpoint.
 *
 * The real AWS SDK v3 clients talk to it unchanged through an endpoint override; it answers their
 * errors in the AWS wire shape, so the SDK throws exceptions with the real names
 * (`ResourceNotFoundException`, `NotAuthorizedException`, ...). User pool calls it does not own
 * can be forwarded to cognito-local, so one endpoint serves every Cognito flow.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/awsServer.js"

/**
 * A machine-to-machine app client of the Cognito domain's token endpoint.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwsM2mClient {
  readonly clientId: string
  readonly clientSecret: string
  /** The scopes it may ask for; a request without `scope` gets all of them. */
  readonly scopes: ReadonlyArray<string>
}

/**
 * An OpenID Connect provider the Identity Pool trusts, such as the cognito-local pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwsIdentityProvider {
  /** The key of `Logins`, e.g. `cognito-idp.{region}.amazonaws.com/{userPoolId}`. */
  readonly loginKey: string
  /** The `iss` its ID tokens must carry. */
  readonly issuer: string
  readonly jwksUri: string
}

/**
 * An error to inject with {@link LocalAws.failNext}. On the token endpoint, `type` is the OAuth
 * `error` code and `message` its `error_description`.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwsInjectedError {
  /** The AWS error type, which becomes the SDK exception's `name`, e.g. `ThrottlingException`. */
  readonly type: string
  /** HTTP status; default 400. Use 500 for `InternalFailure`: the SDK retries those. */
  readonly status?: number
  readonly message?: string
}

/**
 * One AWS request as the emulator saw it.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwsRequestRecord {
  /** The operation of `X-Amz-Target`, e.g. `GetSecretValue`. */
  readonly operation: string
  /** The region of the SigV4 credential scope; `undefined` when the request is not signed. */
  readonly region: string | undefined
}

/**
 * Options of {@link startAws}. Every lifetime is a whole number of seconds, at least 1.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwsEmulatorOptions {
  /** Default `ap-southeast-2`: it names the user pool, the identity pool and the secrets' ARNs. */
  readonly region?: string
  /** Default `123456789012`. */
  readonly accountId?: string
  /** Secrets by name → SecretString. ARN = `arn:aws:secretsmanager:{region}:{account}:secret:{name}-{6 random alnum}`. */
  readonly secrets?: Readonly<Record<string, string>>
  /** Users who may sign in with CUSTOM_AUTH and an emailed code, by email (also their username). Default `["ada@example.org"]`. */
  readonly otpUsers?: ReadonlyArray<string>
  /** Clients of the token endpoint. Default: `toshi-m2m` with a random secret and scopes `toshi/read`, `toshi/write`. */
  readonly m2mClients?: ReadonlyArray<AwsM2mClient>
  /** Lifetime of the access and ID tokens the emulator issues (custom auth and m2m). Default 3600. */
  readonly tokenTtl?: number
  /** Lifetime of Identity Pool credentials. Default 3600. */
  readonly credentialsTtl?: number
  /** Extra providers the Identity Pool trusts. Its own user pool is always trusted, under {@link LocalAws.loginKey}. */
  readonly identityProviders?: ReadonlyArray<AwsIdentityProvider>
  /**
   * Where user pool calls the emulator does not own go, unchanged: every operation but CUSTOM_AUTH
   * on its own client, and refresh, revocation and challenges of tokens and sessions it did not
   * issue. Typically cognito-local's endpoint. Without it, those calls fail with
   * `InvalidParameterException`, or whatever Cognito would answer.
   */
  readonly upstream?: string
}

/**
 * A running emulator. The user pool signs RS256 JWTs with a key generated at start; its refresh
 * tokens are opaque strings. One-time codes are "sent" by recording them: read them with
 * {@link LocalAws.sentCodes}.
 *
 * @since 0.1.0
 * @category models
 */
export interface LocalAws {
  /** `http://127.0.0.1:<port>`: the SDK endpoint override for Secrets Manager, Cognito Identity and the user pool. */
  readonly endpoint: string
  readonly region: string
  /** ARN of each secret, by name, as of now. */
  readonly secretArns: Readonly<Record<string, string>>
  /** Base URL of the Cognito domain (the same server): the token endpoint is `${domain}/oauth2/token`. */
  readonly domain: string
  /** The emulator's own user pool, `{region}_toshiOtp`. */
  readonly userPoolId: string
  /** The app client (without a secret) that may use CUSTOM_AUTH and REFRESH_TOKEN_AUTH. */
  readonly otpClientId: string
  /** `${endpoint}/${userPoolId}`: the `iss` of every token the emulator signs. */
  readonly issuer: string
  /** `${issuer}/.well-known/jwks.json`. */
  readonly jwksUri: string
  /** The Identity Pool's `Logins` key for this pool's ID tokens: `cognito-idp.{region}.amazonaws.com/{userPoolId}`. */
  readonly loginKey: string
  /** `{region}:{uuid}`. */
  readonly identityPoolId: string
  readonly m2mClients: ReadonlyArray<AwsM2mClient>
  /** The codes "emailed" to a user, oldest first; a wrong answer does not send a new one. */
  readonly sentCodes: (username: string) => ReadonlyArray<string>
  /**
   * Requests so far by operation (`GetSecretValue`, `GetId`, `GetCredentialsForIdentity`,
   * `InitiateAuth`, `RespondToAuthChallenge`, `RevokeToken`, any forwarded user pool operation),
   * plus `token` for `/oauth2/token`, `jwks` for the JWKS, and `forwarded` for every call relayed
   * upstream (also counted under its operation).
   */
  readonly counts: () => Readonly<Record<string, number>>
  /** Clears the counts and the log of {@link LocalAws.requests}. */
  readonly resetCounts: () => void
  /** Every AWS request in order, with the region it was signed for: tells tests which region a client used. */
  readonly requests: () => ReadonlyArray<AwsRequestRecord>
  /** Creates a secret, or gives an existing one a new version (same ARN). Returns the ARN. */
  readonly setSecret: (name: string, value: string) => string
  readonly deleteSecret: (name: string) => void
  /**
   * The next `times` (default 1) requests to `operation` (an operation name, or `token`) fail with
   * `error`, replacing failures still queued for it; `times` 0 cancels them.
   */
  readonly failNext: (operation: string, error: AwsInjectedError, times?: number) => void
  /** Revokes every refresh token the emulator issued: a later REFRESH_TOKEN_AUTH gets `NotAuthorizedException`. */
  readonly revokeRefreshTokens: () => void
  /** Closes the listener and every open connection. */
  readonly stop: () => Promise<void>
}

/**
 * Starts the emulator on 127.0.0.1 (never another address) on a free port, with a fresh signing key,
 * client ids and identity pool.
 *
 * @example
 * const aws = await startAws({ secrets: { "toshi/m2m": JSON.stringify({ client_id: "a", client_secret: "b" }) } })
 * const client = new SecretsManagerClient({
 *   endpoint: aws.endpoint,
 *   region: aws.region,
 *   credentials: { accessKeyId: "local", secretAccessKey: "local" }
 * })
 * const secret = await client.send(new GetSecretValueCommand({ SecretId: aws.secretArns["toshi/m2m"] }))
 * await aws.stop()
 *
 * @since 0.1.0
 * @category constructors
 */
export const startAws: (options?: AwsEmulatorOptions) => Promise<LocalAws> = internal.start
