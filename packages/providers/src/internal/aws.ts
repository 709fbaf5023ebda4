import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type {
  AwsCredentialIdentity,
  AwsCredentialIdentityProvider,
  HttpHandlerOptions,
  HttpRequest,
  HttpResponse,
  RequestHandler
} from "@smithy/types"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Runtime from "effect/Runtime"

/**
 * How toshi reaches an AWS service: the real `@aws-sdk` client, pointed elsewhere when asked.
 *
 * @since 0.1.0
 * @category models
 */
export interface AwsOptions {
  /** Another endpoint than AWS's: a local emulator, a VPC endpoint. */
  readonly endpoint?: string | undefined
  /**
   * Default: the AWS SDK's own chain (environment, shared profile, container or instance role).
   * Cognito's user-pool and identity-pool calls need none.
   */
  readonly credentials?: AwsCredentialIdentity | AwsCredentialIdentityProvider | undefined
}

/**
 * Runs an effect for the AWS SDK, which calls toshi from outside any fiber: on `runtime` (the
 * application's clock, tracer and logger), rejecting with the error itself, not the
 * `FiberFailure` that `Effect.runPromise` would wrap it in, so that the SDK and the application
 * can read it.
 *
 * @internal
 */
export const runPromise = (runtime: Runtime.Runtime<never>) =>
<A, E>(effect: Effect.Effect<A, E>, options?: { readonly signal?: AbortSignal }): Promise<A> =>
  Runtime.runPromiseExit(runtime)(effect, options).then((exit) =>
    Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
  )

/**
 * An AWS SDK request handler that sends through the `HttpClient` toshi was given, so AWS calls
 * take the same route as every other request: the proxy (`HTTPS_PROXY`, `NO_PROXY`) and the extra
 * CA of `NodeHttp`, or a test's client. The SDK's own handler honours neither.
 *
 * Each request runs on `runtime`, the one the SDK client was built in, not on a default runtime of
 * its own: its timeout keeps the application's clock (a test's `TestClock`), and its spans and logs
 * go to the application's tracer and logger.
 *
 * @internal
 */
export const requestHandler = (
  client: HttpClient.HttpClient,
  timeout: Duration.DurationInput,
  runtime: Runtime.Runtime<never>
): RequestHandler<HttpRequest, HttpResponse, HttpHandlerOptions> => ({
  handle: (request, options) => {
    const query = Object.entries(request.query ?? {}).flatMap(([name, value]) =>
      value === null ? [encodeURIComponent(name)] : (Array.isArray(value) ? value : [value]).map((v) =>
        `${encodeURIComponent(name)}=${encodeURIComponent(v)}`
      )
    )
    const url = `${request.protocol}//${request.hostname}${request.port === undefined ? "" : `:${request.port}`}${request.path}${
      query.length === 0 ? "" : `?${query.join("&")}`
    }`
    // `host` is the URL's, and undici computes `content-length` itself.
    const headers = Object.fromEntries(
      Object.entries(request.headers).filter(([name]) => !["host", "content-length"].includes(name.toLowerCase()))
    )
    const body: unknown = request.body
    const httpRequest = HttpClientRequest.make(request.method as "POST")(url, { headers }).pipe(
      body === undefined || body === null
        ? (r) => r
        : typeof body === "string"
        ? HttpClientRequest.bodyText(body, headers["content-type"] ?? headers["Content-Type"])
        : HttpClientRequest.bodyUint8Array(body as Uint8Array, headers["content-type"] ?? headers["Content-Type"])
    )
    const send = client.execute(httpRequest).pipe(
      Effect.flatMap((response) =>
        Effect.map(response.arrayBuffer, (buffer): { response: HttpResponse } => ({
          response: { statusCode: response.status, headers: { ...response.headers }, body: new Uint8Array(buffer) }
        }))
      ),
      Effect.timeoutFail({
        duration: timeout,
        onTimeout: () => Object.assign(new Error(`no answer within ${Duration.format(Duration.decode(timeout))}`), { name: "TimeoutError" })
      }),
      Effect.mapError((error) =>
        error instanceof Error && error.name === "TimeoutError"
          ? error
          // The SDK classifies a failure without `$metadata` as a network error.
          : Object.assign(new Error(error.message), { name: "NetworkingError", cause: error })
      ),
      Effect.scoped
    )
    const signal = options?.abortSignal
    // The SDK reads the error it is handed: its `name` decides timeout or network error.
    return runPromise(runtime)(send, signal !== undefined && "addEventListener" in signal ? { signal: signal as AbortSignal } : undefined)
  }
})

/**
 * What every AWS SDK client of toshi's is built with. Retries are toshi's (with the token
 * manager's backoff and `TestClock`-driven tests), not the SDK's: one attempt per call.
 *
 * @internal
 */
export const clientConfig = (
  options: AwsOptions & { readonly region: string; readonly timeout?: Duration.DurationInput | undefined }
) =>
  Effect.zipWith(HttpClient.HttpClient, Effect.runtime<never>(), (client, runtime) => ({
    region: options.region,
    maxAttempts: 1,
    requestHandler: requestHandler(client, options.timeout ?? "30 seconds", runtime),
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials })
  }))

/**
 * The AWS SDK clients toshi calls.
 *
 * @internal
 */
export type SdkPackage =
  | "@aws-sdk/client-cognito-identity"
  | "@aws-sdk/client-cognito-identity-provider"
  | "@aws-sdk/client-secrets-manager"

/**
 * An AWS SDK client that could not be loaded, before the caller gives it its error type.
 *
 * @internal
 */
export interface SdkUnavailable {
  readonly reason: "MissingPackage"
  readonly description: string
  readonly cause: unknown
}

const loaded = new Map<SdkPackage, Promise<unknown>>()

/**
 * Loads an AWS SDK client package the first time a request needs it, and keeps it: the SDK takes
 * hundreds of milliseconds to import, which an application that never calls AWS must not pay at
 * start-up. `load` is the literal `import("@aws-sdk/…")`, so that bundlers still see and carry the
 * package. A failed load is not kept: installing the package and trying again works.
 *
 * @internal
 */
export const loadSdk = <M>(name: SdkPackage, load: () => Promise<M>): Effect.Effect<M, SdkUnavailable> =>
  Effect.tryPromise({
    try: () => {
      const kept = loaded.get(name)
      if (kept !== undefined) return kept as Promise<M>
      const loading = load()
      loaded.set(name, loading)
      loading.catch(() => loaded.delete(name))
      return loading
    },
    catch: (cause): SdkUnavailable => {
      const code = (cause as { readonly code?: unknown } | null)?.code
      return {
        reason: "MissingPackage",
        description: code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND"
          ? `the package ${name} is not installed: add it to the application (npm install ${name})`
          : `the package ${name} could not be loaded (${cause instanceof Error ? cause.message : String(cause)}): reinstall it (npm install ${name})`,
        cause
      }
    }
  })

/**
 * The parts of an AWS SDK exception that decide what it means.
 *
 * @internal
 */
export const describe = (error: unknown): { readonly name: string; readonly status: number | undefined; readonly message: string } => ({
  name: typeof error === "object" && error !== null && "name" in error ? String(error.name) : "",
  status: (error as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode,
  message: error instanceof Error ? error.message : String(error)
})

/**
 * The region of an ARN (`arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:name`).
 *
 * @internal
 */
export const regionOfArn = (arn: string): string | undefined => {
  const parts = arn.split(":")
  return parts.length >= 6 && parts[0] === "arn" && parts[3] !== "" ? parts[3] : undefined
}

const throttling = new Set(["TooManyRequestsException", "ThrottlingException", "LimitExceededException", "Throttling", "RequestLimitExceeded"])

/**
 * The failures of any AWS call that are worth retrying (throttling, a timeout, the network, AWS's
 * own 5xx), described for `service`; `undefined` for an answer, which each caller reads its own way.
 *
 * @internal
 */
export const transient = (
  service: string,
  error: unknown
): { readonly reason: "RateLimited" | "Timeout" | "Transport" | "ServerError"; readonly description: string } | undefined => {
  const { message, name, status } = describe(error)
  if (throttling.has(name)) return { reason: "RateLimited", description: `${service} is throttling requests (${name})` }
  if (name === "TimeoutError") return { reason: "Timeout", description: `${service} did not answer in time (${message})` }
  if (name === "NetworkingError" || status === undefined) return { reason: "Transport", description: `could not reach ${service}: ${message}` }
  if (status >= 500) return { reason: "ServerError", description: `${service} answered ${status} (${name})` }
  return undefined
}
