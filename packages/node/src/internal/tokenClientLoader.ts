import type * as TokenClient from "../TokenClient.js"

type Engine = typeof import("./tokenClient.js")

let engine: Promise<Engine> | undefined

/**
 * The engine behind the facade (Effect, the providers, the stores, undici), imported by the first
 * call rather than with `@toshi/node/TokenClient`: an application that creates a client at start-up
 * and asks for a token later does not pay for it at import, and one that never asks never pays.
 */
const loadEngine = (): Promise<Engine> => (engine ??= import("./tokenClient.js"))

/** @internal */
export const create = (options: TokenClient.Options): TokenClient.TokenClient => {
  let client: TokenClient.TokenClient | undefined
  let pending: Promise<TokenClient.TokenClient> | undefined
  let closed = false

  const ready = (): Promise<TokenClient.TokenClient> =>
    closed
      ? Promise.reject(new Error("the token client was closed"))
      : client !== undefined
      ? Promise.resolve(client)
      : (pending ??= loadEngine().then((m) => (client = m.create(options))))

  // Once the engine is there, each call is the engine's own: its hot path stays plain code.
  return {
    token: () => client !== undefined ? client.token() : ready().then((c) => c.token()),
    headers: () => client !== undefined ? client.headers() : ready().then((c) => c.headers()),
    fetch: (input, init) => ready().then((c) => c.fetch(input, init)),
    forceRefresh: () => ready().then((c) => c.forceRefresh()),
    close: async () => {
      if (closed) return
      closed = true
      // A client still loading is closed once it is there, so it leaves nothing running.
      const c = client ?? await pending?.catch(() => undefined)
      await c?.close()
    }
  }
}
