/**
 * The toshi demo: a real OpenID provider on 127.0.0.1 (`@toshi/devserver`), and toshi getting,
 * keeping and renewing tokens from it the ways a program would. Nothing is printed that is a
 * secret: tokens are shown by their claims and the first characters of their SHA-256.
 */
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { AuthProvider, Jwt, RefreshHooks, RefreshPolicy, TokenManager, type TokenSet, TokenStore } from "@toshi/core"
import { type DevServer, start } from "@toshi/devserver"
import { NodeAuth } from "@toshi/node"
import { ClientAuth, OAuth2, Oidc } from "@toshi/providers"
import { FileTokenStore } from "@toshi/stores"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

const bold = (text: string) => (process.stdout.isTTY ? `\x1b[1m${text}\x1b[0m` : text)
const step = (title: string) => Effect.sync(() => console.log(`\n${bold(`== ${title}`)}`))
const say = (text: string) => Effect.sync(() => console.log(`   ${text}`))

/** What a token says about itself, never the token. */
const describe = (tokens: TokenSet.TokenSet) => {
  const claims = Option.getOrElse(Jwt.unverifiedClaims(Redacted.value(tokens.accessToken)), () => ({}))
  const fingerprint = createHash("sha256").update(Redacted.value(tokens.accessToken)).digest("hex").slice(0, 8)
  const seconds = Math.round((tokens.expiresAt.epochMillis - Date.now()) / 1000)
  return `token #${fingerprint}  sub=${String((claims as Record<string, unknown>)["sub"] ?? "?")}  ` +
    `scope="${tokens.scope.join(" ")}"  expires in ${seconds}s`
}

const managerOver = (
  provider: Layer.Layer<AuthProvider.AuthProvider, never, NodeAuth.Services>,
  options: {
    readonly policy?: RefreshPolicy.RefreshPolicyService
    readonly store?: Layer.Layer<TokenStore.TokenStore, never, NodeAuth.Services>
    readonly hooks?: Partial<RefreshHooks.RefreshHooksService>
  } = {}
) =>
  TokenManager.layer({ refreshAhead: "1 second" }).pipe(
    Layer.provide([
      provider,
      options.store ?? TokenStore.layerMemory,
      RefreshPolicy.layer(options.policy ?? RefreshPolicy.raise),
      RefreshHooks.layer(options.hooks ?? {})
    ])
  )

/** The machine client, as a daemon configures it. */
const m2mClient = (server: DevServer) =>
  OAuth2.clientCredentials({
    tokenEndpoint: server.endpoints.token,
    client: ClientAuth.basic(server.clients.confidential.clientId, Redacted.make(server.clients.confidential.clientSecret)),
    scope: ["read", "write"],
    resource: server.resource
  })

const m2mDaemon = (server: DevServer) =>
  Effect.gen(function*() {
    yield* step("1. An M2M daemon keeps a 2-second token fresh (client credentials, refreshed in the background)")
    const m2m = m2mClient(server)
    yield* Effect.gen(function*() {
      for (let second = 1; second <= 5; second++) {
        const tokens = yield* TokenManager.token
        yield* say(`t=${second}s  request sent with ${describe(tokens)}`)
        yield* Effect.sleep("1 second")
      }
    }).pipe(Effect.provide(managerOver(m2m, {
      hooks: {
        onRefreshSuccess: (context, tokens) =>
          say(`hook: renewed (${context.reason}, ${context.source}, attempt ${context.attempt}) -> ${describe(tokens)}`)
      }
    })))
    yield* say(`token endpoint calls so far: ${server.counts()["token"]}`)
  })

const passwordLogin = (server: DevServer, credentialsFile: string) =>
  Effect.gen(function*() {
    yield* step("2. A person logs in with a password; the session lives in a 0600 file and is renewed with its refresh token")
    const user = server.users[0]!
    const metadata = yield* Oidc.discover(server.issuer)
    const login = OAuth2.password({
      tokenEndpoint: metadata.token_endpoint,
      client: ClientAuth.basic(server.clients.password.clientId, Redacted.make(server.clients.password.clientSecret)),
      username: user.username,
      password: Redacted.make(user.password),
      scope: ["openid", "email", "offline_access"],
      idToken: Oidc.validation(metadata)
    })
    yield* Effect.gen(function*() {
      const manager = yield* TokenManager.TokenManager
      const tokens = yield* manager.token
      const id = Option.getOrElse(Jwt.unverifiedClaims(Redacted.value(tokens.idToken!)), () => ({} as Record<string, unknown>))
      yield* say(`logged in as ${String(id["email"] ?? user.username)} (ID token verified against the issuer's keys)`)
      yield* say(`saved to ${credentialsFile} with mode ${(fs.statSync(credentialsFile).mode & 0o777).toString(8)}`)
      const renewed = yield* manager.forceRefresh
      yield* say(`renewed with the refresh token: ${describe(renewed)}`)
    }).pipe(Effect.provide(managerOver(login, { store: FileTokenStore.layer(credentialsFile) })))
  })

const deviceLogin = (server: DevServer) =>
  Effect.gen(function*() {
    yield* step("3. A terminal without a browser uses the device flow (approved here by the demo)")
    const provider = yield* OAuth2.makeDeviceCode({
      tokenEndpoint: server.endpoints.token,
      deviceAuthorizationEndpoint: server.endpoints.deviceAuthorization,
      client: ClientAuth.none(server.clients.public.clientId),
      scope: ["openid", "offline_access"],
      onPrompt: (prompt) =>
        Effect.gen(function*() {
          yield* say(`visit ${prompt.verificationUri} and enter ${bold(prompt.userCode)}`)
          yield* say("(approving it as the user, as a person would in the browser)")
          yield* Effect.promise(() => server.approveDeviceCode(prompt.userCode))
        })
    })
    const tokens = yield* provider.acquire
    yield* say(`approved: ${describe(tokens)}`)
  })

const revokedDaemon = (server: DevServer) =>
  Effect.gen(function*() {
    yield* step("4. The identity provider revokes the daemon's client: with RefreshPolicy.raise it stops with a typed error")
    const m2m = m2mClient(server)
    const exit = yield* Effect.exit(Effect.gen(function*() {
      const manager = yield* TokenManager.TokenManager
      yield* say(`running with ${describe(yield* manager.token)}`)
      server.revokeClient(server.clients.confidential.clientId)
      yield* say("client revoked on the server; the next renewal will be refused")
      return yield* Effect.raceFirst(Effect.never, manager.keepFresh)
    }).pipe(Effect.provide(managerOver(m2m))))
    server.restoreClient(server.clients.confidential.clientId)
    if (exit._tag === "Failure" && exit.cause._tag === "Fail") {
      yield* say(`the daemon ends (its supervisor restarts it) with ${bold(exit.cause.error._tag)}:`)
      yield* say(exit.cause.error.message)
    } else {
      return yield* Effect.dieMessage("the revoked daemon did not stop with a typed error")
    }
  })

const main = Effect.gen(function*() {
  const started = Date.now()
  const server = yield* Effect.acquireRelease(Effect.promise(() => start({ accessTokenTtl: 2 })), (s) => Effect.promise(() => s.stop()))
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-demo-"))
  yield* say(`local identity provider (oidc-provider) at ${server.issuer}`)
  yield* m2mDaemon(server)
  yield* passwordLogin(server, path.join(home, ".toshi", "tokens.json"))
  yield* deviceLogin(server)
  yield* revokedDaemon(server)
  yield* step(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s`)
})

Effect.runPromise(main.pipe(Effect.scoped, Effect.provide(NodeAuth.layer()))).then(
  () => process.exit(0),
  (error) => {
    console.error(String(error))
    process.exit(1)
  }
)
