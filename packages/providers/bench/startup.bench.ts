/**
 * `pnpm bench`: 1,000 concurrent requests that need a token at start-up, against the local
 * identity provider run in a child process (in-process, oidc-provider's AsyncLocalStorage hooks
 * would slow every await of the benchmark itself): token endpoint calls and wall time for toshi's
 * TokenManager, and for openid-client's clientCredentialsGrant used directly, in one run.
 */
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import * as HttpClient from "@effect/platform/HttpClient"
import { NodeHttpClient } from "@effect/platform-node"
import { RefreshHooks, RefreshPolicy, TokenManager, TokenStore } from "@toshi/core"
import { ClientAuth, OAuth2 } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as client from "openid-client"

const callers = 1_000
const bin = fileURLToPath(new URL("../../devserver/dist/bin.js", import.meta.url))
const child = spawn(process.execPath, [bin, "--json"], { stdio: ["ignore", "pipe", "inherit"] })
const info = await new Promise<any>((resolve) => {
  createInterface({ input: child.stdout! }).once("line", (line) => resolve(JSON.parse(line)))
})
const { clientId, clientSecret } = info.clients.confidential

// toshi: one TokenManager, 1,000 callers at once on an empty store.
let toshiTokenCalls = 0
const countingClient = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(HttpClient.HttpClient, HttpClient.tapRequest((request) => Effect.sync(() => {
    if (request.url === info.endpoints.token) toshiTokenCalls++
  })))
).pipe(Layer.provide(NodeHttpClient.layerUndici))
const toshiStart = performance.now()
await Effect.runPromise(
  Effect.all(Array.from({ length: callers }, () => TokenManager.headers), { concurrency: "unbounded" }).pipe(
    Effect.provide(TokenManager.layer().pipe(
      Layer.provide([
        OAuth2.clientCredentials({
          tokenEndpoint: info.endpoints.token,
          client: ClientAuth.basic(clientId, Redacted.make(clientSecret)),
          scope: ["read", "write"],
          resource: info.resource
        }),
        TokenStore.layerMemory,
        RefreshPolicy.layer(RefreshPolicy.raise),
        RefreshHooks.layerNoop
      ]),
      Layer.provide(countingClient)
    ))
  )
)
const toshiMs = performance.now() - toshiStart

// openid-client: the grant called directly by each of the 1,000 requests.
let openidTokenCalls = 0
const config = await client.discovery(new URL(info.issuer), clientId, clientSecret, undefined, {
  execute: [client.allowInsecureRequests]
})
config[client.customFetch] = (url, options) => {
  if (url === info.endpoints.token) openidTokenCalls++
  return fetch(url, options as RequestInit)
}
const openidStart = performance.now()
await Promise.all(Array.from({ length: callers }, () =>
  client.clientCredentialsGrant(config, { scope: "read write", resource: info.resource })))
const openidMs = performance.now() - openidStart

child.kill("SIGTERM")
console.log(`toshi providers benchmark: ${callers} concurrent requests needing a token at start-up (node ${process.version})`)
console.log("")
console.log("                                        token endpoint calls   wall time")
console.log(`  toshi TokenManager + clientCredentials  ${String(toshiTokenCalls).padStart(18)}   ${toshiMs.toFixed(0).padStart(6)} ms   (goal: 1 call)`)
console.log(`  openid-client clientCredentialsGrant    ${String(openidTokenCalls).padStart(18)}   ${openidMs.toFixed(0).padStart(6)} ms`)
