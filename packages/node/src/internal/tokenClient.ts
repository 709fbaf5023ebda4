import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as HttpClient from "@effect/platform/HttpClient"
import { AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import { ApiKey, ClientAuth, Cognito, External, OAuth2 } from "@toshi/providers"
import { CredentialsFile, FileTokenStore } from "@toshi/stores"
import * as Cause from "effect/Cause"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Redacted from "effect/Redacted"
import * as Undici from "undici"
import * as NodeBrowser from "../NodeBrowser.js"
import * as NodeHttp from "../NodeHttp.js"
import * as NodeRedirectReceiver from "../NodeRedirectReceiver.js"
import type * as TokenClient from "../TokenClient.js"

/** The dispatcher `fetch` sends through: the same proxy and CA settings as the HttpClient. */
class Dispatcher extends Context.Tag("@toshi/node/TokenClient/Dispatcher")<Dispatcher, Undici.Dispatcher>() {}

/** The grants discover an issuer themselves, once per process, when they first need it. */
const endpoint = (endpoint: TokenClient.Endpoint): OAuth2.Endpoint =>
  endpoint.tokenEndpoint !== undefined ? { tokenEndpoint: endpoint.tokenEndpoint } : { issuer: endpoint.issuer }

const grantOptions = (options: TokenClient.GrantCommon) => ({
  scope: options.scope,
  resource: options.resource,
  audience: options.audience
})

const secretClient = (clientId: string, secret: string | undefined, auth: "basic" | "post" = "basic") =>
  secret === undefined
    ? ClientAuth.none(clientId)
    : auth === "post"
    ? ClientAuth.post(clientId, Redacted.make(secret))
    : ClientAuth.basic(clientId, Redacted.make(secret))

/** The provider a plain-object description names. */
const provider = (options: TokenClient.ProviderOptions) =>
  Effect.gen(function*() {
    switch (options.type) {
      case "clientCredentials":
        return yield* OAuth2.makeClientCredentials({
          ...endpoint(options),
          client: secretClient(options.clientId, options.clientSecret, options.auth),
          ...grantOptions(options)
        })
      case "password":
        return yield* OAuth2.makePassword({
          ...endpoint(options),
          client: secretClient(options.clientId, options.clientSecret),
          username: options.username,
          password: Redacted.make(options.password),
          totp: options.totp,
          ...grantOptions(options)
        })
      case "refreshToken":
        return yield* OAuth2.makeRefreshToken({
          ...endpoint(options),
          client: secretClient(options.clientId, options.clientSecret),
          refreshToken: Redacted.make(options.refreshToken),
          ...grantOptions(options)
        })
      case "deviceCode":
        return yield* OAuth2.makeDeviceCode({
          issuer: options.issuer,
          client: ClientAuth.none(options.clientId),
          onPrompt: (prompt) => Effect.sync(() => options.onPrompt(prompt)),
          ...grantOptions(options)
        })
      case "authorizationCode":
        return yield* OAuth2.makeAuthorizationCode({
          issuer: options.issuer,
          client: ClientAuth.none(options.clientId),
          onOpen: options.onOpen === undefined ? undefined : (url) => Effect.sync(() => options.onOpen!(url)),
          ...grantOptions(options)
        })
      case "cognitoPassword":
        return yield* Cognito.makeUserPassword({
          region: options.region,
          clientId: options.clientId,
          clientSecret: options.clientSecret === undefined ? undefined : Redacted.make(options.clientSecret),
          username: options.username,
          password: Redacted.make(options.password),
          endpoint: options.endpoint
        })
      case "cognitoOtp":
        return yield* Cognito.makeCustomAuthOtp({
          region: options.region,
          clientId: options.clientId,
          username: options.username,
          otp: options.otp,
          endpoint: options.endpoint
        })
      case "cognitoM2m":
        return yield* Cognito.makeM2m({
          secretArn: options.secretArn,
          domain: options.domain,
          scope: options.scope,
          secretsManager: options.secretsManager
        })
      case "apiKey":
        return ApiKey.make({ apiKey: Redacted.make(options.apiKey), header: options.header })
      case "external":
        return External.make({ key: options.key, getToken: options.getToken })
    }
  })

const store = (options: TokenClient.StoreOptions | undefined) => {
  switch (options?.type) {
    case undefined:
    case "memory":
      return TokenStore.layerMemory
    case "file":
      return FileTokenStore.layer(options.path)
    case "credentials":
      return CredentialsFile.layer(options.path)
  }
}

/** A user callback's failure must not break the renewal it observes: it is logged instead. */
const observe = (f: () => void | PromiseLike<void>) =>
  Effect.tryPromise(async () => {
    await f()
  }).pipe(Effect.catchAll((cause) => Effect.logWarning("toshi: a token client hook failed", cause)))

/** The error a Promise rejects with: toshi's own error instance, whatever the Effect failed with. */
const toRejection = (cause: Cause.Cause<unknown>): unknown => {
  if (Cause.isInterruptedOnly(cause)) return new Error("the token client was closed")
  const failure = Cause.squash(cause)
  return failure instanceof Error ? failure : new Error(String(failure))
}

/** @internal */
export const create = (options: TokenClient.Options): TokenClient.TokenClient => {
  let cache: { readonly headers: Readonly<Record<string, string>>; readonly token: string; readonly freshUntil: number } | undefined
  let closed = false

  const hooks = RefreshHooks.make({
    onRefreshStart: (context) => options.hooks?.onRefreshStart === undefined ? Effect.void : observe(() => options.hooks!.onRefreshStart!(context)),
    onRefreshSuccess: (context, tokens) =>
      Effect.zipRight(
        // A renewal (in the background too) replaces what the fast path hands out.
        Effect.sync(() => (cache = undefined)),
        options.hooks?.onRefreshSuccess === undefined
          ? Effect.void
          : observe(() => options.hooks!.onRefreshSuccess!(context, { expiresAt: new Date(tokens.expiresAt.epochMillis), scope: tokens.scope }))
      ),
    onRefreshFailure: (context, error) =>
      options.hooks?.onRefreshFailure === undefined ? Effect.void : observe(() => options.hooks!.onRefreshFailure!(context, error))
  })

  const http = Layer.scopedContext(Effect.map(NodeHttp.makeDispatcher(options.http), (dispatcher) =>
    Context.make(Dispatcher, dispatcher).pipe(Context.add(HttpClient.HttpClient, NodeHttpClient.makeUndici(dispatcher)))))

  const refreshAheadMs = options.refreshAheadMs ?? 5 * 60_000
  const manager = TokenManager.layer({
    refreshAhead: `${refreshAheadMs} millis`,
    ...(options.backgroundRefresh === undefined ? {} : { backgroundRefresh: options.backgroundRefresh })
  }).pipe(
    Layer.provide([
      Layer.effect(AuthProvider.AuthProvider, provider(options.provider)),
      store(options.store),
      RefreshPolicy.layer(options.policy === "relogin" ? RefreshPolicy.relogin : RefreshPolicy.raise),
      Layer.succeed(RefreshHooks.RefreshHooks, hooks)
    ]),
    Layer.provide([NodeRedirectReceiver.layer, NodeBrowser.layer, NodeContext.layer]),
    Layer.provideMerge(http)
  )
  const runtime = ManagedRuntime.make(manager)

  const run = <A>(effect: Effect.Effect<A, unknown, TokenManager.TokenManager | Dispatcher | HttpClient.HttpClient>): Promise<A> =>
    closed
      ? Promise.reject(new Error("the token client was closed"))
      : runtime.runPromiseExit(effect).then((exit) => Exit.isSuccess(exit) ? exit.value : Promise.reject(toRejection(exit.cause)))

  /** Through the engine: renews if it must, and refills the fast path's cache. */
  const slow = () =>
    run(Effect.gen(function*() {
      const manager = yield* TokenManager.TokenManager
      const tokens = yield* manager.token
      const headers = yield* manager.headers
      const expires = tokens.expiresAt.epochMillis
      const lifetime = expires - (tokens.issuedAt?.epochMillis ?? Date.now())
      // Served from the cache until the manager itself would call the token stale.
      const margin = Math.max(Math.min(refreshAheadMs, lifetime / 2), Math.min(30_000, lifetime / 4))
      cache = { headers, token: Redacted.value(tokens.accessToken), freshUntil: expires - margin }
      return cache
    }))

  // The hot path is plain code: a fresh cached token never enters the Effect runtime.
  const current = () => (cache !== undefined && Date.now() < cache.freshUntil ? Promise.resolve(cache) : slow())

  const forceRefresh = () =>
    run(Effect.flatMap(TokenManager.TokenManager, (manager) => manager.forceRefresh)).then(() => {
      cache = undefined
    })

  const fetch = async (input: string | URL, init?: RequestInit): Promise<Response> => {
    const dispatcher = await run(Dispatcher)
    const send = (headers: Readonly<Record<string, string>>) => {
      const merged = new Headers(init?.headers)
      for (const [name, value] of Object.entries(headers)) merged.set(name, value)
      return Undici.fetch(input, { ...(init as unknown as Undici.RequestInit), headers: merged as unknown as Undici.HeadersInit, dispatcher }) as unknown as Promise<Response>
    }
    const first = await current()
    const response = await send(first.headers)
    if (response.status !== 401) return response
    await response.body?.cancel()
    // Only a request refused with the token that is still current renews it.
    if ((await current()).token === first.token) await forceRefresh()
    return send((await current()).headers)
  }

  return {
    token: () => (cache !== undefined && Date.now() < cache.freshUntil ? Promise.resolve(cache.token) : slow().then((c) => c.token)),
    headers: () => (cache !== undefined && Date.now() < cache.freshUntil ? Promise.resolve(cache.headers) : slow().then((c) => c.headers)),
    fetch,
    forceRefresh,
    close: async () => {
      if (closed) return
      closed = true
      cache = undefined
      await runtime.dispose()
    }
  }
}
