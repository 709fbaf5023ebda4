/**
 * Cognito custom auth, M2M, Identity Pool federation, API keys from Secrets Manager and
 * auto-detection, through the real AWS SDK clients against cognito-local and the devserver's AWS
 * emulator on 127.0.0.1. Nothing here mocks HTTP.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import * as HttpClient from "@effect/platform/HttpClient"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { AuthError, AuthProvider, Jwt, RefreshHooks, RefreshPolicy, TokenManager, TokenSet } from "@toshi/core"
import { type LocalAws, type LocalCognito, startAws, startCognito } from "@toshi/devserver"
import { ApiKey, Cognito, Detect, IdentityPool } from "@toshi/providers"
import { CredentialsFile } from "@toshi/stores"
import * as ConfigProvider from "effect/ConfigProvider"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as TestClock from "effect/TestClock"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { managerFor } from "./utils.js"

const local = { accessKeyId: "local", secretAccessKey: "local" }
const m2mClient = { clientId: "toshi-m2m", clientSecret: "m2m-secret-1", scopes: ["toshi/read", "toshi/write"] }
const apiKeyTest = "test-api-key-0123456789"

let cognito: LocalCognito
let aws: LocalAws
beforeAll(async () => {
  cognito = await startCognito()
  aws = await startAws({
    // Not the default region: the M2M secret's region can only have come from its ARN.
    region: "us-west-2",
    otpUsers: ["ada@example.org"],
    m2mClients: [m2mClient, { clientId: "toshi-reader", clientSecret: "reader-secret", scopes: ["toshi/read"] }],
    secrets: {
      "toshi/m2m": JSON.stringify({ client_id: m2mClient.clientId, client_secret: m2mClient.clientSecret }),
      "toshi/m2m-reader": JSON.stringify({ client_id: "toshi-reader", client_secret: "reader-secret" }),
      "toshi/missing-secret": JSON.stringify({ client_id: m2mClient.clientId }),
      "toshi/not-json": "client_secret=m2m-secret-1",
      "toshi/rotating": JSON.stringify({ client_id: m2mClient.clientId, client_secret: "an-old-secret" }),
      NZSHM22_TOSHI_API_SECRET_TEST: JSON.stringify({ NZSHM22_TOSHI_API_KEY_TEST: apiKeyTest })
    },
    identityProviders: [cognito.identityProvider],
    upstream: cognito.endpoint
  })
}, 60_000)
afterAll(async () => {
  await aws?.stop()
  await cognito?.stop()
})

const withHttp = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, NodeHttpClient.layerUndici)

const otpOptions = (overrides: Partial<Cognito.CustomAuthOtpOptions> = {}): Cognito.CustomAuthOtpOptions => ({
  region: aws.region,
  endpoint: aws.endpoint,
  clientId: aws.otpClientId,
  username: "ada@example.org",
  // The code the emulator "sent by email".
  otp: () => Promise.resolve(aws.sentCodes("ada@example.org").at(-1) ?? ""),
  idToken: Cognito.idTokenValidation({ region: aws.region, userPoolId: aws.userPoolId, endpoint: aws.endpoint }),
  ...overrides
})

const m2mOptions = (secret: string, overrides: Partial<Cognito.M2mOptions> = {}): Cognito.M2mOptions => ({
  secretArn: aws.secretArns[secret]!,
  domain: aws.domain,
  secretsManager: { endpoint: aws.endpoint, credentials: local },
  ...overrides
})

const acquireError = (make: Effect.Effect<AuthProvider.AuthProviderService, never, HttpClient.HttpClient>) =>
  withHttp(Effect.flatMap(make, (provider) => Effect.flip(provider.acquire)))

describe("Cognito.customAuthOtp (CUSTOM_AUTH with an emailed code)", () => {
  it.live("logs in with the code that was sent, validates the ID token, and renews with REFRESH_TOKEN_AUTH", () =>
    withHttp(Effect.gen(function*() {
      const asked: Array<Cognito.OtpChallenge> = []
      const provider = yield* Cognito.makeCustomAuthOtp(otpOptions({
        otp: (challenge) => {
          asked.push(challenge)
          return Promise.resolve(aws.sentCodes("ada@example.org").at(-1)!)
        }
      }))
      const manager = yield* managerFor(provider, { backgroundRefresh: false })
      const first = yield* manager.token
      const claims = Option.getOrThrow(Jwt.unverifiedClaims(Redacted.value(first.idToken!)))
      assert.strictEqual(claims["email"], "ada@example.org")
      assert.strictEqual(asked.length, 1)
      assert.strictEqual(asked[0]!.attempt, 1)
      assert.match(asked[0]!.destination ?? "", /\*/, "the destination is masked")
      const renewed = yield* manager.forceRefresh
      assert.isFalse(TokenSet.sameAccessToken(first, renewed))
      assert.strictEqual(Redacted.value(renewed.refreshToken!), Redacted.value(first.refreshToken!))
    })).pipe(Effect.scoped))

  it.live("a wrong code asks again; three wrong codes, an unknown user and a revoked session are typed errors", () =>
    withHttp(Effect.gen(function*() {
      // An Effect-returning callback: wrong first, right second.
      const attempts: Array<number> = []
      const second = yield* Effect.flatMap(
        Cognito.makeCustomAuthOtp(otpOptions({
          otp: ({ attempt }) =>
            Effect.sync(() => {
              attempts.push(attempt)
              return attempt === 1 ? "000000" : aws.sentCodes("ada@example.org").at(-1)!
            })
        })),
        (p) => p.acquire
      )
      assert.deepStrictEqual(attempts, [1, 2])
      assert.isDefined(second.refreshToken)

      const wrong = yield* acquireError(Cognito.makeCustomAuthOtp(otpOptions({ otp: () => "000000" })))
      assert.strictEqual(wrong._tag, "LoginFailedError")
      assert.strictEqual((wrong as AuthError.LoginFailedError).reason, "InvalidCredentials")
      assert.include(wrong.message, "one-time code")

      const unknown = yield* acquireError(Cognito.makeCustomAuthOtp(otpOptions({ username: "nobody@example.org" })))
      assert.strictEqual((unknown as AuthError.LoginFailedError).reason, "UserNotFound")

      const throws = yield* acquireError(Cognito.makeCustomAuthOtp(otpOptions({ otp: () => { throw new Error("no terminal") } })))
      assert.strictEqual((throws as AuthError.LoginFailedError).reason, "ExternalFailed")

      aws.revokeRefreshTokens()
      const provider = yield* Cognito.makeCustomAuthOtp(otpOptions())
      const revoked = yield* Effect.flip(provider.refresh!(second))
      assert.strictEqual(revoked._tag, "RefreshFailedError")
      assert.strictEqual((revoked as AuthError.RefreshFailedError).reason, "InvalidGrant")
      assert.isFalse(AuthError.isTransient(revoked))
    })))
})

describe("Cognito.m2m (client credentials with the secret from Secrets Manager)", () => {
  it.effect("survives many token lifetimes with the secret read once, from the ARN's region", () =>
    withHttp(Effect.gen(function*() {
      aws.resetCounts()
      const manager = yield* managerFor(yield* Cognito.makeM2m(m2mOptions("toshi/m2m")), { backgroundRefresh: false })
      const seen = new Set<string>()
      for (let i = 0; i < 6; i++) {
        const tokens = yield* manager.token
        seen.add(Redacted.value(tokens.accessToken))
        const claims = Option.getOrThrow(Jwt.unverifiedClaims(Redacted.value(tokens.accessToken)))
        assert.strictEqual(claims["scope"], "toshi/read toshi/write")
        assert.strictEqual(claims["client_id"], m2mClient.clientId)
        // Past the token's lifetime (TestClock): the next call must renew.
        yield* TestClock.adjust("2 hours")
      }
      assert.strictEqual(seen.size, 6)
      assert.strictEqual(aws.counts()["token"], 6)
      assert.strictEqual(aws.counts()["GetSecretValue"], 1)
      const secretRequests = aws.requests().filter((r) => r.operation === "GetSecretValue")
      assert.deepStrictEqual(secretRequests.map((r) => r.region), ["us-west-2"])
    })).pipe(Effect.scoped))

  it.effect("a scope the client may not have is InvalidScope, with the server's OAuth error", () =>
    Effect.gen(function*() {
      const error = yield* acquireError(Cognito.makeM2m(m2mOptions("toshi/m2m-reader")))
      assert.strictEqual((error as AuthError.LoginFailedError).reason, "InvalidScope")
      assert.strictEqual((error as AuthError.LoginFailedError).oauth?.error, "invalid_scope")
      const narrow = yield* withHttp(Effect.flatMap(Cognito.makeM2m(m2mOptions("toshi/m2m-reader", { scope: ["toshi/read"] })), (p) => p.acquire))
      assert.deepStrictEqual(narrow.scope, ["toshi/read"])
    }))

  it.effect("missing keys, malformed JSON and an unknown secret each give their typed error, without the secret", () =>
    Effect.gen(function*() {
      const missing = yield* acquireError(Cognito.makeM2m(m2mOptions("toshi/missing-secret")))
      assert.strictEqual(missing._tag, "ConfigIncompleteError")
      assert.deepStrictEqual((missing as AuthError.ConfigIncompleteError).missing, ["client_secret"])
      assert.include(missing.message, "Cognito config missing required keys: client_secret")
      assert.include(missing.message, aws.secretArns["toshi/missing-secret"]!)

      const notJson = yield* acquireError(Cognito.makeM2m(m2mOptions("toshi/not-json")))
      assert.strictEqual((notJson as AuthError.LoginFailedError).reason, "InvalidConfig")
      assert.include(notJson.message, "not a JSON object")
      assert.notInclude(notJson.message, "m2m-secret-1")

      const arn = aws.secretArns["toshi/m2m"]!.replace("toshi/m2m", "toshi/deleted")
      const notFound = yield* acquireError(Cognito.makeM2m({ ...m2mOptions("toshi/m2m"), secretArn: arn }))
      assert.strictEqual((notFound as AuthError.LoginFailedError).reason, "InvalidConfig")
      assert.include(notFound.message, "ResourceNotFoundException")
      assert.include(notFound.message, arn)

      const notAnArn = yield* acquireError(Cognito.makeM2m({ ...m2mOptions("toshi/m2m"), secretArn: "toshi/m2m" }))
      assert.include(notAnArn.message, "must be a Secrets Manager ARN")

      aws.failNext("GetSecretValue", { type: "ThrottlingException", message: "Rate exceeded" })
      const throttled = yield* acquireError(Cognito.makeM2m(m2mOptions("toshi/m2m")))
      assert.strictEqual((throttled as AuthError.LoginFailedError).reason, "RateLimited")
      assert.isTrue(AuthError.isTransient(throttled))
    }))

  it.effect("a rotated secret is read again when the domain refuses the client", () =>
    withHttp(Effect.gen(function*() {
      aws.resetCounts()
      const provider = yield* Cognito.makeM2m(m2mOptions("toshi/rotating"))
      const stale = yield* Effect.flip(provider.acquire)
      assert.strictEqual((stale as AuthError.LoginFailedError).reason, "InvalidClient")
      aws.setSecret("toshi/rotating", JSON.stringify({ client_id: m2mClient.clientId, client_secret: m2mClient.clientSecret }))
      const tokens = yield* provider.acquire
      assert.isAbove(Redacted.value(tokens.accessToken).length, 20)
      // Read, re-read after invalid_client (unchanged), then re-read after the rotation.
      assert.strictEqual(aws.counts()["GetSecretValue"], 3)
    })))
})

describe("IdentityPool.awsCredentials", () => {
  const poolOptions = (overrides: Partial<IdentityPool.Options> = {}): IdentityPool.Options => ({
    region: aws.region,
    endpoint: aws.endpoint,
    identityPoolId: aws.identityPoolId,
    userPoolId: aws.userPoolId,
    ...overrides
  })

  it.live("exchanges the session's ID token, caches the credentials, and fetches again when they are due", () =>
    withHttp(Effect.gen(function*() {
      const manager = yield* managerFor(yield* Cognito.makeCustomAuthOtp(otpOptions()), { backgroundRefresh: false })
      aws.resetCounts()
      const pool = yield* IdentityPool.make(poolOptions()).pipe(Effect.provideService(TokenManager.TokenManager, manager))
      const first = yield* pool.credentials
      const again = yield* pool.credentials
      assert.strictEqual(again.accessKeyId, first.accessKeyId)
      assert.match(first.identityId, /^us-west-2:/)
      assert.isTrue(DateTime.greaterThan(first.expiration, yield* DateTime.now))
      assert.strictEqual(aws.counts()["GetCredentialsForIdentity"], 1)
      // The AWS SDK credential provider form.
      const sdk = yield* Effect.promise(() => pool.provider())
      assert.strictEqual(sdk.accessKeyId, first.accessKeyId)
      assert.instanceOf(sdk.expiration, Date)

      // Credentials within `refreshAhead` of expiry are replaced; the identity id is kept.
      const eager = yield* IdentityPool.make(poolOptions({ refreshAhead: "2 hours" })).pipe(
        Effect.provideService(TokenManager.TokenManager, manager)
      )
      const a = yield* eager.credentials
      const b = yield* eager.credentials
      assert.notStrictEqual(a.accessKeyId, b.accessKeyId)
      assert.strictEqual(a.identityId, b.identityId)
      assert.strictEqual(a.identityId, first.identityId)
    })).pipe(Effect.scoped))

  it.effect("the SDK credential provider judges \"due\" by the application's clock", () =>
    withHttp(Effect.gen(function*() {
      yield* TestClock.setTime(Date.now())
      const session = yield* Effect.flatMap(Cognito.makeCustomAuthOtp(otpOptions()), (p) => p.acquire)
      // A session that stays valid however far the test moves its clock: only the credentials age.
      const lasting = TokenSet.make({ ...session, expiresAt: DateTime.unsafeMake(Date.now() + 30 * 86_400_000) })
      const manager = yield* managerFor(AuthProvider.make({ key: "lasting", acquire: Effect.succeed(lasting) }), { backgroundRefresh: false })
      const pool = yield* IdentityPool.make(poolOptions()).pipe(Effect.provideService(TokenManager.TokenManager, manager))
      aws.resetCounts()
      const first = yield* Effect.promise(() => pool.provider())
      assert.strictEqual((yield* Effect.promise(() => pool.provider())).accessKeyId, first.accessKeyId)
      assert.strictEqual(aws.counts()["GetCredentialsForIdentity"], 1)
      // Four minutes before they expire (within the five of refreshAhead) on the test's clock; the
      // wall clock has hardly moved, and a provider on a clock of its own would serve them again.
      yield* TestClock.setTime(first.expiration!.getTime() - 4 * 60_000)
      const second = yield* Effect.promise(() => pool.provider())
      assert.notStrictEqual(second.accessKeyId, first.accessKeyId)
      assert.strictEqual(aws.counts()["GetCredentialsForIdentity"], 2)
    })).pipe(Effect.scoped))

  it.live("a cognito-local user's ID token is accepted under its own login key", () =>
    withHttp(Effect.gen(function*() {
      const provider = yield* Cognito.makeUserPassword({
        region: cognito.region,
        endpoint: cognito.endpoint,
        clientId: cognito.clientId,
        username: cognito.users[0]!.username,
        password: Redacted.make(cognito.users[0]!.password)
      })
      const manager = yield* managerFor(provider, { backgroundRefresh: false })
      const credentials = yield* IdentityPool.awsCredentials(poolOptions({ region: cognito.region, userPoolId: cognito.userPoolId })).pipe(
        Effect.provideService(TokenManager.TokenManager, manager)
      )
      assert.match(credentials.accessKeyId, /^ASIA/)
    })).pipe(Effect.scoped))

  it.live("a tampered ID token, a session without one and an unknown pool are IdentityPoolErrors", () =>
    withHttp(Effect.gen(function*() {
      const real = yield* Effect.flatMap(Cognito.makeCustomAuthOtp(otpOptions()), (p) => p.acquire)
      const [header, payload, signature] = Redacted.value(real.idToken!).split(".")
      const claims = JSON.parse(Buffer.from(payload!, "base64url").toString()) as Record<string, unknown>
      const forged = [header, Buffer.from(JSON.stringify({ ...claims, email: "mallory@example.org" })).toString("base64url"), signature].join(".")
      let acquired = 0
      const tampered = AuthProvider.make({
        key: "tampered",
        acquire: Effect.sync(() => {
          acquired++
          return TokenSet.make({ ...real, idToken: Redacted.make(forged) })
        })
      })
      const manager = yield* managerFor(tampered, { backgroundRefresh: false })
      const error = yield* Effect.flip(IdentityPool.awsCredentials(poolOptions()).pipe(Effect.provideService(TokenManager.TokenManager, manager)))
      assert.strictEqual(error._tag, "IdentityPoolError")
      assert.strictEqual((error as AuthError.IdentityPoolError).reason, "NotAuthorized")
      assert.include(error.message, "Log in again")
      // The refused token was renewed once before giving up.
      assert.strictEqual(acquired, 2)

      const apiKeyManager = yield* managerFor(ApiKey.make({ apiKey: Redacted.make("k") }), { backgroundRefresh: false })
      const noIdToken = yield* Effect.flip(IdentityPool.awsCredentials(poolOptions()).pipe(Effect.provideService(TokenManager.TokenManager, apiKeyManager)))
      assert.strictEqual((noIdToken as AuthError.IdentityPoolError).reason, "NoIdToken")

      const sessionManager = yield* managerFor(AuthProvider.make({ key: "real", acquire: Effect.succeed(real) }), { backgroundRefresh: false })
      const unknownPool = yield* Effect.flip(
        IdentityPool.awsCredentials(poolOptions({ identityPoolId: "us-west-2:00000000-0000-0000-0000-000000000000" })).pipe(
          Effect.provideService(TokenManager.TokenManager, sessionManager)
        )
      )
      assert.strictEqual((unknownPool as AuthError.IdentityPoolError).reason, "InvalidConfig")
      // The AWS SDK credential provider form rejects with the same typed error.
      const unknownPoolProvider = yield* IdentityPool.make(poolOptions({ identityPoolId: "us-west-2:00000000-0000-0000-0000-000000000000" })).pipe(
        Effect.provideService(TokenManager.TokenManager, sessionManager)
      )
      const rejected = yield* Effect.promise(() => unknownPoolProvider.provider().then(() => undefined, (error: unknown) => error))
      assert.instanceOf(rejected, AuthError.IdentityPoolError)
      assert.strictEqual((rejected as AuthError.IdentityPoolError).reason, "InvalidConfig")
    })).pipe(Effect.scoped))
})

describe("AWS calls and Cognito errors", () => {
  it.live("every AWS request goes through the app's HttpClient (so NodeHttp's proxy and CA apply)", () =>
    Effect.gen(function*() {
      const seen: Array<string> = []
      const authorization: Array<string> = []
      const recording = Layer.effect(
        HttpClient.HttpClient,
        Effect.map(HttpClient.HttpClient, (client) => client.pipe(HttpClient.tapRequest((request) =>
          Effect.sync(() => {
            seen.push(request.headers["x-amz-target"] ?? request.url)
            if (request.url.endsWith("/oauth2/token")) authorization.push(request.headers["authorization"] ?? "")
          })
        )))
      ).pipe(Layer.provide(NodeHttpClient.layerUndici))
      yield* Effect.flatMap(Cognito.makeM2m(m2mOptions("toshi/m2m")), (p) => p.acquire).pipe(Effect.provide(recording))
      assert.deepStrictEqual(seen, ["secretsmanager.GetSecretValue", `${aws.domain}/oauth2/token`])
      // The client id and secret from the secret, as HTTP Basic.
      assert.deepStrictEqual(authorization, [`Basic ${btoa(`${m2mClient.clientId}:${m2mClient.clientSecret}`)}`])
    }))

  const passwordOptions = (): Cognito.UserPasswordOptions => ({
    // Through the emulator, which hands USER_PASSWORD_AUTH to cognito-local unchanged.
    region: cognito.region,
    endpoint: aws.endpoint,
    clientId: cognito.clientId,
    username: cognito.users[0]!.username,
    password: Redacted.make(cognito.users[0]!.password)
  })

  it.live("throttling is transient and retried by the manager; a required password reset says what to do", () =>
    withHttp(Effect.gen(function*() {
      aws.resetCounts()
      aws.failNext("InitiateAuth", { type: "TooManyRequestsException", message: "Too many requests" })
      const manager = yield* managerFor(yield* Cognito.makeUserPassword(passwordOptions()), {
        backgroundRefresh: false,
        retry: { initialDelay: "10 millis" }
      })
      const tokens = yield* manager.token
      assert.isDefined(tokens.refreshToken)
      assert.strictEqual(aws.counts()["InitiateAuth"], 2)

      aws.failNext("InitiateAuth", { type: "PasswordResetRequiredException", message: "Password reset required for the user" })
      const reset = yield* Effect.flip(Effect.flatMap(Cognito.makeUserPassword(passwordOptions()), (p) => p.acquire))
      assert.strictEqual((reset as AuthError.LoginFailedError).reason, "PasswordResetRequired")
      assert.include(reset.message, "reset")
      assert.isFalse(AuthError.isTransient(reset))
    })).pipe(Effect.scoped))
})

/** Detect with `environment` as the only configuration, files under a temp HOME. */
const detect = <A = undefined>(
  environment: Record<string, string>,
  options: Detect.Options = {},
  use: (manager: TokenManager.TokenManagerService) => Effect.Effect<A, AuthError.AuthError> = () => Effect.succeed(undefined as A)
) => {
  const logs: Array<string> = []
  const logger = Logger.make(({ logLevel, message }) => logs.push(`${logLevel.label} ${Array.isArray(message) ? message.join(" ") : String(message)}`))
  const effect = Effect.gen(function*() {
    const manager = yield* TokenManager.TokenManager
    const detection = yield* Detect.Detection
    return { detection, headers: yield* Effect.either(manager.headers), used: yield* use(manager) }
  }).pipe(
    Effect.provide(
      TokenManager.layer({ backgroundRefresh: false }).pipe(
        Layer.provideMerge(Detect.layer({ aws: { endpoint: aws.endpoint, credentials: local }, ...options })),
        Layer.provide([RefreshPolicy.layer(RefreshPolicy.raise), RefreshHooks.layerNoop, NodeHttpClient.layerUndici, NodeContext.layer])
      )
    ),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(environment)))),
    Effect.provide(Logger.replace(Logger.defaultLogger, logger))
  )
  return Effect.map(effect, (result) => ({ ...result, logs }))
}

const tempHome = () => fs.mkdtempSync(path.join(os.tmpdir(), "toshi-home-"))

describe("Detect.layer", () => {
  it.live("M2M wins over an API key, and says so in a warning", () =>
    Effect.gen(function*() {
      const home = tempHome()
      const { detection, headers, logs } = yield* detect({
        HOME: home,
        NZSHM22_TOSHI_M2M_SECRET_ARN: aws.secretArns["toshi/m2m"]!,
        NZSHM22_TOSHI_COGNITO_DOMAIN: aws.domain,
        NZSHM22_TOSHI_API_KEY: "an-explicit-key"
      })
      assert.strictEqual(detection.source, "M2M")
      assert.match(headers._tag === "Right" ? headers.right["authorization"]! : "", /^Bearer ey/)
      const warning = logs.find((line) => line.startsWith("WARN"))
      assert.isDefined(warning)
      assert.include(warning!, "NZSHM22_TOSHI_API_KEY is set but not used")
      assert.notInclude(logs.join("\n"), "an-explicit-key")
    }))

  it.live("an M2M ARN without a domain is a ConfigIncompleteError naming the missing key", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(detect({ HOME: tempHome(), NZSHM22_TOSHI_M2M_SECRET_ARN: aws.secretArns["toshi/m2m"]! }))
      assert.strictEqual(error._tag, "ConfigIncompleteError")
      assert.deepStrictEqual((error as AuthError.ConfigIncompleteError).missing, ["NZSHM22_TOSHI_COGNITO_DOMAIN"])
    }))

  it.live("a saved login wins over an API key, is served from ~/.toshi/credentials and renewed into it", () =>
    withHttp(Effect.gen(function*() {
      const home = tempHome()
      const file = path.join(home, ".toshi", "credentials")
      const login = yield* Effect.flatMap(Cognito.makeCustomAuthOtp(otpOptions()), (p) => p.acquire)
      yield* Effect.flatMap(CredentialsFile.make(file), (store) => store.save("toshi", login)).pipe(Effect.provide(NodeContext.layer))
      const { detection, logs, used: [served, renewed] } = yield* detect(
        { HOME: home, NZSHM22_TOSHI_COGNITO_SCIENTIST_CLIENT_ID: aws.otpClientId, NZSHM22_TOSHI_COGNITO_REGION: aws.region },
        { apiKey: Redacted.make("passed-by-the-app") },
        (manager) => Effect.all([manager.token, manager.forceRefresh])
      )
      assert.strictEqual(detection.source, "SavedLogin")
      assert.include(logs.join("\n"), "the API key passed to Detect.layer is set but not used")
      assert.isTrue(TokenSet.sameAccessToken(served, login))
      assert.isFalse(TokenSet.sameAccessToken(renewed, login))
      const onDisk = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>
      assert.strictEqual(onDisk["access_token"], Redacted.value(renewed.accessToken))
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
    })))

  it.live("a corrupt credentials file is a typed error and is left as it was", () =>
    Effect.gen(function*() {
      const home = tempHome()
      fs.mkdirSync(path.join(home, ".toshi"), { mode: 0o700 })
      const file = path.join(home, ".toshi", "credentials")
      fs.writeFileSync(file, "{ half a file", { mode: 0o600 })
      const error = yield* Effect.flip(detect({ HOME: home, NZSHM22_TOSHI_API_KEY: "k" }))
      assert.strictEqual(error._tag, "TokenStoreError")
      assert.strictEqual(fs.readFileSync(file, "utf8"), "{ half a file")
    }))

  it.live("an API key from the environment, or inside AWS Batch the TEST secret for a TEST API", () =>
    Effect.gen(function*() {
      const plain = yield* detect({ HOME: tempHome(), NZSHM22_TOSHI_API_KEY: "env-key" })
      assert.strictEqual(plain.detection.source, "ApiKey")
      assert.deepStrictEqual(plain.headers._tag === "Right" ? plain.headers.right : {}, { "x-api-key": "env-key" })
      assert.deepStrictEqual(plain.logs.filter((l) => l.startsWith("WARN")), [])

      aws.resetCounts()
      const batch = yield* detect({
        HOME: tempHome(),
        AWS_BATCH_JOB_ID: "job-1",
        NZSHM22_TOSHI_API_URL: "https://api.example.org/TEST/graphql"
      })
      assert.strictEqual(batch.detection.source, "BatchApiKey")
      assert.deepStrictEqual(batch.headers._tag === "Right" ? batch.headers.right : {}, { "x-api-key": apiKeyTest })
      assert.deepStrictEqual(aws.requests().filter((r) => r.operation === "GetSecretValue").map((r) => r.region), [ApiKey.batchSecretRegion])

      const prod = yield* detect({ HOME: tempHome(), AWS_BATCH_JOB_ID: "job-1", NZSHM22_TOSHI_API_URL: "https://api.example.org/PROD/graphql" })
      assert.strictEqual(prod.headers._tag, "Left")
      // The PROD secret does not exist here: the error names it.
      assert.include(prod.headers._tag === "Left" ? prod.headers.left.message : "", "NZSHM22_TOSHI_API_SECRET_PROD")
    }))

  it.live("nothing configured is NoCredentialsError saying what to set", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(detect({ HOME: tempHome(), AWS_BATCH_JOB_ID: "job-1", NZSHM22_TOSHI_API_URL: "https://api.example.org/graphql" }))
      assert.strictEqual(error._tag, "NoCredentialsError")
      assert.include(error.message, "NZSHM22_TOSHI_M2M_SECRET_ARN")
      assert.include(error.message, "toshi login")
      assert.include(error.message, "NZSHM22_TOSHI_API_KEY")
    }))
})
