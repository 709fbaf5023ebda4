import { NodeHttpClient } from "@effect/platform-node"
import { AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenSet, TokenStore } from "@toshi/core"
import { AuthenticatedHttpClient } from "@toshi/node"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

/** What a loopback server saw of one request. */
export interface Seen {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/**
 * A real HTTP server on 127.0.0.1 running `handler`, closed (with its open connections) when the
 * scope closes. `seen` records every request, its body read in full before `handler` runs.
 */
export const serve = (handler: (request: Seen, response: Http.ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly seen: Array<Seen>; readonly server: Http.Server }>((resume) => {
      const seen: Array<Seen> = []
      const server = Http.createServer((request, response) => {
        const chunks: Array<Buffer> = []
        request.on("data", (chunk: Buffer) => chunks.push(chunk))
        request.on("end", () => {
          const entry = {
            method: request.method ?? "",
            url: request.url ?? "",
            headers: request.headers,
            body: Buffer.concat(chunks).toString("utf8")
          }
          seen.push(entry)
          handler(entry, response)
        })
      })
      server.listen(0, "127.0.0.1", () => {
        resume(Effect.succeed({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )

/** A URL on 127.0.0.1 where nothing listens: a server's port, once the server is closed. */
export const deadUrl = Effect.scoped(Effect.map(serve(() => {}), ({ url }) => url))

/** A provider handing out token-1, token-2, …: each acquire is one "token request". */
export const counting = () => {
  const state = { acquired: 0 }
  const provider = AuthProvider.make({
    key: "counting",
    acquire: Effect.map(DateTime.now, (now) => {
      state.acquired++
      return TokenSet.make({
        accessToken: Redacted.make(`token-${state.acquired}`),
        issuedAt: now,
        expiresAt: DateTime.add(now, { hours: 1 })
      })
    })
  })
  return { state, provider }
}

/** The `AuthenticatedHttpClient` over undici, with the plain `HttpClient` and the `TokenManager` beside it. */
export const clientLayer = (provider: AuthProvider.AuthProviderService) =>
  AuthenticatedHttpClient.layer.pipe(
    Layer.provideMerge(TokenManager.layer({ backgroundRefresh: false })),
    Layer.provide([
      AuthProvider.layer(provider),
      TokenStore.layerMemory,
      RefreshPolicy.layer(RefreshPolicy.raise),
      RefreshHooks.layerNoop
    ]),
    Layer.provideMerge(NodeHttpClient.layerUndici)
  )
