/**
 * A machine-to-machine daemon, as DESIGN.md describes its operators: every interval it calls a
 * protected API through `AuthenticatedHttpClient` with a client-credentials token, and keeps that
 * token fresh in the background. Its policy is `RefreshPolicy.raise`: a renewal that cannot succeed
 * ends the program with the typed error and exit code 1, and its supervisor (systemd, Docker, k8s,
 * or `supervisor.ts` here) restarts it. It never waits for a person: it has no terminal service at
 * all, so no code path can prompt.
 *
 * When it stops:
 * - a renewal fails for good (`keepFresh` fails: a revoked client, a wrong secret, or the token
 *   endpoint unreachable for longer than the current token lives): it exits 1 with the
 *   `RefreshFailedError` (or, before it ever had a token, the `LoginFailedError`);
 * - the API refuses a token it has just renewed (`UnauthorizedError`): restarting cannot make a
 *   wrong audience or scope right, but its supervisor's back-off and alerting are the place to
 *   notice, not a log line repeated every second;
 * - SIGTERM or SIGINT: exit 0 after the summary line.
 * A failed request otherwise (the API unreachable or slow, or any answer but 2xx or 401) is logged
 * with `level=WARN`, counted, and tried again at the next tick: those say nothing about the
 * credentials.
 *
 * Configuration, from the environment (through `Config`, so any `ConfigProvider` works too):
 * | variable | meaning |
 * | --- | --- |
 * | `DAEMON_TOKEN_ENDPOINT` or `DAEMON_ISSUER` | the token endpoint, or an issuer to discover it from |
 * | `DAEMON_CLIENT_ID`, `DAEMON_CLIENT_SECRET` | the client's credentials (the secret is never logged) |
 * | `DAEMON_CLIENT_AUTH` | `basic` (default) or `post` |
 * | `DAEMON_SCOPE` | space-separated scopes; default none (the server's default) |
 * | `DAEMON_RESOURCE` | resource indicator (RFC 8707), the API's audience |
 * | `DAEMON_API_URL` | the protected endpoint it calls with GET |
 * | `DAEMON_INTERVAL` | between calls; default `1 second` (any Effect duration: `500 millis`, `1 minute`) |
 * | `DAEMON_REQUEST_TIMEOUT` | per call; default `10 seconds` |
 *
 * Logs are one logfmt line each (`timestamp=… level=… message=… key=value`), the final error too.
 */
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import { AuthenticatedHttpClient, NodeHttp } from "@toshi/node"
import { ClientAuth, OAuth2, Oidc } from "@toshi/providers"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"

/** Where tokens come from: a token endpoint as given, or discovered from an issuer. */
const TokenSource = Config.string("TOKEN_ENDPOINT").pipe(
  Config.map((url) => ({ _tag: "TokenEndpoint", url }) as const),
  Config.orElse(() => Config.map(Config.string("ISSUER"), (issuer) => ({ _tag: "Issuer", issuer }) as const))
)

const DaemonConfig = Config.nested(
  Config.all({
    tokenSource: TokenSource,
    clientId: Config.string("CLIENT_ID"),
    clientSecret: Config.redacted("CLIENT_SECRET"),
    clientAuth: Config.literal("basic", "post")("CLIENT_AUTH").pipe(Config.withDefault("basic" as const)),
    scope: Config.string("SCOPE").pipe(
      Config.map((scope) => scope.split(/\s+/).filter((s) => s !== "")),
      Config.option,
      Config.map(Option.filter((scope) => scope.length > 0))
    ),
    resource: Config.option(Config.string("RESOURCE")),
    apiUrl: Config.url("API_URL"),
    interval: Config.duration("INTERVAL").pipe(Config.withDefault(Duration.seconds(1))),
    requestTimeout: Config.duration("REQUEST_TIMEOUT").pipe(Config.withDefault(Duration.seconds(10)))
  }),
  "DAEMON"
)

const HttpLive = NodeHttp.layer()

const ProviderLive = Layer.unwrapEffect(Effect.gen(function*() {
  const config = yield* DaemonConfig
  const tokenEndpoint = config.tokenSource._tag === "TokenEndpoint"
    ? config.tokenSource.url
    : (yield* Oidc.discover(config.tokenSource.issuer)).token_endpoint
  const client = config.clientAuth === "post"
    ? ClientAuth.post(config.clientId, config.clientSecret)
    : ClientAuth.basic(config.clientId, config.clientSecret)
  return OAuth2.clientCredentials({
    tokenEndpoint,
    client,
    scope: Option.getOrUndefined(config.scope),
    resource: Option.getOrUndefined(config.resource)
  })
}))

/** One line per renewal, with why and for how long: never the token, never the secret. */
const HooksLive = RefreshHooks.layer({
  onRefreshStart: (context) =>
    Effect.logDebug("renewing token").pipe(
      Effect.annotateLogs({ reason: context.reason, source: context.source, attempt: context.attempt })
    ),
  onRefreshSuccess: (context, tokens) =>
    Effect.flatMap(Clock.currentTimeMillis, (now) =>
      Effect.logInfo("token renewed").pipe(
        Effect.annotateLogs({
          reason: context.reason,
          source: context.source,
          attempt: context.attempt,
          expiresInSeconds: Math.round((tokens.expiresAt.epochMillis - now) / 1000),
          scope: tokens.scope.join(" ")
        })
      )),
  onRefreshFailure: (context, error) =>
    Effect.logWarning("token renewal failed").pipe(
      Effect.annotateLogs({
        reason: context.reason,
        source: context.source,
        attempt: context.attempt,
        error: error._tag,
        errorReason: error.reason
      })
    )
})

const TokenManagerLive = TokenManager.layer().pipe(
  Layer.provide([ProviderLive, TokenStore.layerMemory, RefreshPolicy.layer(RefreshPolicy.raise), HooksLive])
)

const MainLive = AuthenticatedHttpClient.layer.pipe(
  Layer.provideMerge(TokenManagerLive),
  Layer.provide(HttpLive)
)

const program = Effect.gen(function*() {
  const config = yield* DaemonConfig
  const client = yield* AuthenticatedHttpClient.AuthenticatedHttpClient
  const manager = yield* TokenManager.TokenManager
  const tally = yield* Ref.make({ ok: 0, failed: 0 })
  const url = config.apiUrl.toString()

  const succeeded = (status: number) =>
    Effect.flatMap(
      Ref.updateAndGet(tally, (t) => ({ ...t, ok: t.ok + 1 })),
      (t) => Effect.logInfo("request ok").pipe(Effect.annotateLogs({ status, ...t }))
    )
  const failed = (detail: Record<string, unknown>) =>
    Effect.flatMap(
      Ref.updateAndGet(tally, (t) => ({ ...t, failed: t.failed + 1 })),
      (t) => Effect.logWarning("request failed").pipe(Effect.annotateLogs({ ...detail, ...t }))
    )
  const transient = (error: HttpClientError.HttpClientError) =>
    failed({ error: error._tag, errorReason: error.reason, detail: error.message })

  // Errors left in the type end the daemon: the credentials' (`AuthError`, after the policy said
  // `Raise`) and a token the API refused even fresh (`UnauthorizedError`).
  const call = client.get(url).pipe(
    // Reading the body hands the connection back for the next call.
    Effect.flatMap((response) => Effect.as(response.text, response.status)),
    Effect.timeoutFail({
      duration: config.requestTimeout,
      onTimeout: () => ({ _tag: "Timeout" as const })
    }),
    Effect.flatMap((status) => status >= 200 && status < 300 ? succeeded(status) : failed({ status })),
    Effect.catchTags({
      RequestError: transient,
      ResponseError: transient,
      Timeout: () => failed({ error: "Timeout", timeout: Duration.format(config.requestTimeout) })
    })
  )

  yield* Effect.logInfo("daemon started").pipe(
    Effect.annotateLogs({ api: url, interval: Duration.format(config.interval), client: config.clientId })
  )
  const work = Effect.repeat(call, Schedule.fixed(config.interval))
  return yield* Effect.raceFirst(work, manager.keepFresh).pipe(
    Effect.onExit(() => Effect.flatMap(Ref.get(tally), (t) => Effect.logInfo("daemon stopping").pipe(Effect.annotateLogs(t))))
  )
}).pipe(Effect.provide(MainLive))

/**
 * The error the daemon stops with, as one line with its tag and reason as fields: an operator
 * greps for `error=RefreshFailedError`, and a stack trace says nothing about an expected failure.
 * Anything unexpected (a defect) is logged with its whole cause.
 */
const reportFailure = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.tapErrorCause(effect, (cause) => {
    if (Cause.isInterruptedOnly(cause)) return Effect.void
    return Option.match(Cause.failureOption(cause), {
      onNone: () => Effect.logError("daemon crashed", cause),
      onSome: (error) =>
        Effect.logError("daemon failed").pipe(Effect.annotateLogs(describeFailure(error)))
    })
  })

const describeFailure = (error: unknown): Record<string, unknown> => {
  if (ConfigError.isConfigError(error)) return { error: "ConfigError", detail: String(error) }
  if (Predicate.hasProperty(error, "_tag") && error instanceof Error) {
    return {
      error: error._tag,
      ...(Predicate.hasProperty(error, "reason") ? { reason: error.reason } : {}),
      detail: error.message
    }
  }
  return { error: String(error) }
}

// One logfmt line per event, the final error included (runMain's own report is multi-line and
// pretty); runMain still turns a failure into exit code 1 and SIGTERM/SIGINT into interruption.
NodeRuntime.runMain(reportFailure(program), { disableErrorReporting: true, disablePrettyLogger: true })
