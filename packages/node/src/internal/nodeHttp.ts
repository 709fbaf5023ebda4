import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import { AuthError } from "@toshi/core"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import { X509Certificate } from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Tls from "node:tls"
import * as Undici from "undici"
import type { Options } from "../NodeHttp.js"

const invalidConfig = (description: string, cause?: unknown) =>
  new AuthError.LoginFailedError({
    reason: "InvalidConfig",
    description,
    ...(cause === undefined ? {} : { cause })
  })

/** A setting and where it came from, so that a bad value can be reported by name. */
interface Setting {
  readonly value: string
  readonly source: string
}

/** The first of the variables that is set, even to an empty string (an empty proxy means none). */
const firstOf = (names: ReadonlyArray<string>): Config.Config<Setting | undefined> =>
  names.reduceRight<Config.Config<Setting | undefined>>(
    (rest, name) =>
      Config.string(name).pipe(
        Config.map((value): Setting | undefined => ({ value, source: `the environment variable ${name}` })),
        Config.orElse(() => rest)
      ),
    Config.succeed(undefined)
  )

// Lowercase first, as curl and undici read them.
const environment = Config.all({
  http: firstOf(["http_proxy", "HTTP_PROXY"]),
  https: firstOf(["https_proxy", "HTTPS_PROXY"]),
  noProxy: firstOf(["no_proxy", "NO_PROXY"]),
  caFile: firstOf(["TOSHI_CA_FILE"])
})

const option = (value: string | undefined, name: string): Setting | undefined =>
  value === undefined ? undefined : { value, source: `the option ${name}` }

/**
 * A proxy URL as undici wants it: `host:port` without a scheme (as curl accepts it) means
 * `http://host:port`. The value itself is never echoed in errors: it may carry a password.
 */
const proxyUri = (setting: Setting | undefined): Effect.Effect<string, AuthError.LoginFailedError> => {
  if (setting === undefined || setting.value.trim() === "") return Effect.succeed("")
  const value = setting.value.trim()
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(value) ? value : `http://${value}`
  let url: URL
  try {
    url = new URL(withScheme)
  } catch (cause) {
    return Effect.fail(invalidConfig(`the proxy set by ${setting.source} is not a URL`, cause))
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return Effect.fail(invalidConfig(`the proxy set by ${setting.source} must be an http:// or https:// URL, not ${url.protocol}`))
  }
  return Effect.succeed(url.href)
}

const pemBlocks = (text: string): Array<string> =>
  text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? []

const errorCode = (cause: unknown): string =>
  typeof cause === "object" && cause !== null && "code" in cause && typeof cause.code === "string"
    ? cause.code
    : String(cause)

/** Reads and checks a PEM file: at least one certificate, and every one of them parses. */
const readCaFile = (setting: Setting): Effect.Effect<Array<string>, AuthError.LoginFailedError> =>
  Effect.gen(function*() {
    const path = setting.value
    const text = yield* Effect.tryPromise({
      try: () => Fs.readFile(path, "utf8"),
      catch: (cause) =>
        invalidConfig(`the CA certificate file ${path} (set by ${setting.source}) cannot be read: ${errorCode(cause)}`, cause)
    })
    const blocks = pemBlocks(text)
    if (blocks.length === 0) {
      return yield* invalidConfig(
        `the CA certificate file ${path} (set by ${setting.source}) holds no PEM certificate (-----BEGIN CERTIFICATE-----)`
      )
    }
    for (const [index, block] of blocks.entries()) {
      yield* Effect.try({
        try: () => new X509Certificate(block),
        catch: (cause) =>
          invalidConfig(`certificate ${index + 1} in the CA certificate file ${path} (set by ${setting.source}) is not valid`, cause)
      })
    }
    return blocks
  })

/**
 * Node's `NODE_EXTRA_CA_CERTS`, which a custom `ca` would otherwise drop: Node adds those
 * certificates to its default store only. Node has already warned at startup if it is unreadable.
 */
const nodeExtraCaCerts: Effect.Effect<Array<string>> = Effect.suspend(() => {
  const path = process.env["NODE_EXTRA_CA_CERTS"]
  if (path === undefined || path === "") return Effect.succeed([])
  return Effect.tryPromise(() => Fs.readFile(path, "utf8")).pipe(
    Effect.map(pemBlocks),
    Effect.orElseSucceed(() => [])
  )
})

/** @internal */
export const makeDispatcher = Effect.fn("NodeHttp.makeDispatcher")(function*(options: Options = {}) {
  const env = yield* Effect.mapError(
    environment,
    (cause) => invalidConfig(`the proxy or CA settings could not be read: ${cause.message}`, cause)
  )
  const http = yield* proxyUri(option(options.proxy?.http, "proxy.http") ?? env.http)
  const https = yield* proxyUri(option(options.proxy?.https, "proxy.https") ?? env.https)
  const noProxy = (option(options.proxy?.noProxy, "proxy.noProxy") ?? env.noProxy)?.value ?? ""
  const caFile = option(options.caFile, "caFile") ?? (env.caFile?.value.trim() === "" ? undefined : env.caFile)

  let tls: { ca: Array<string> } | undefined
  if (caFile !== undefined) {
    const extra = yield* readCaFile(caFile)
    // The extra certificates join the default store rather than replace it.
    tls = { ca: [...Tls.rootCertificates, ...(yield* nodeExtraCaCerts), ...extra] }
  }

  return yield* Effect.acquireRelease(
    Effect.try({
      // Every setting is passed explicitly (an empty string meaning "none"), so undici never reads
      // process.env behind our back.
      try: () =>
        new Undici.EnvHttpProxyAgent({
          httpProxy: http,
          httpsProxy: https,
          noProxy,
          ...(tls === undefined ? {} : { connect: tls, requestTls: tls, proxyTls: tls })
        }),
      catch: (cause) => invalidConfig("the proxy settings were refused by the HTTP client", cause)
    }),
    (dispatcher) => Effect.promise(() => dispatcher.destroy())
  )
}) satisfies (options?: Options) => Effect.Effect<Undici.Dispatcher, AuthError.LoginFailedError, Scope.Scope>

/** @internal */
export const make = (options?: Options): Effect.Effect<HttpClient.HttpClient, AuthError.LoginFailedError, Scope.Scope> =>
  Effect.map(makeDispatcher(options), NodeHttpClient.makeUndici)
