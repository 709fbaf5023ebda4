/**
 * The toshi demo: a real OpenID provider on 127.0.0.1 (`@toshi/devserver`), and toshi getting,
 * keeping and renewing tokens from it the ways a program would. Nothing is printed that is a
 * secret: tokens are shown by their claims and the first characters of their SHA-256.
 */
import { spawn } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { AuthProvider, Jwt, RefreshHooks, RefreshPolicy, TokenManager, type TokenSet, TokenStore } from "@toshi/core"
import { type DevServer, start, startAws, startCognito } from "@toshi/devserver"
// The published `toshi` is one bundled file; the demo builds it from the sources.
import { bundle } from "../../../packages/cli/scripts/bundle.mjs"
import { NodeAuth } from "@toshi/node"
import { ClientAuth, OAuth2 } from "@toshi/providers"
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

/** Runs the built `toshi` command as a person or a script would, HOME in the demo's directory. */
const toshi = (bin: string, env: Record<string, string>, args: ReadonlyArray<string>, options: {
  readonly input?: string
  readonly onStderr?: (text: string) => void
} = {}) =>
  Effect.async<{ readonly code: number | null; readonly stdout: string; readonly stderr: string }>((resume) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { PATH: process.env["PATH"] ?? "", ...env }, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => {
      stderr += chunk
      options.onStderr?.(String(chunk))
    })
    child.once("close", (code) => resume(Effect.succeed({ code, stdout, stderr })))
    child.stdin.end(options.input)
    return Effect.sync(() => child.kill())
  })

/** Shows a command and what it printed, with anything secret replaced by its fingerprint. */
const shell = (command: string, output: string) =>
  Effect.gen(function*() {
    yield* say(bold(`$ ${command}`))
    for (const line of output.trimEnd().split("\n")) yield* say(`  ${hideSecrets(line)}`)
  })

const fingerprint = (secret: string) => `<sha256 ${createHash("sha256").update(secret).digest("hex").slice(0, 8)}>`
const hideSecrets = (line: string) =>
  line
    .replace(/eyJ[\w-]+\.[\w-]+\.[\w-]+/g, fingerprint)
    .replace(/"(SecretAccessKey|SessionToken)":"([^"]+)"/g, (_, key: string, value: string) => `"${key}":"${fingerprint(value)}"`)

const cliSession = (bin: string, home: string) =>
  Effect.gen(function*() {
    yield* step("2. A person uses the toshi command (AWS Cognito: cognito-local and the AWS emulator on 127.0.0.1)")
    const cognito = yield* Effect.acquireRelease(Effect.promise(() => startCognito()), (c) => Effect.promise(() => c.stop()))
    const aws = yield* Effect.acquireRelease(
      Effect.promise(() =>
        startAws({
          region: cognito.region,
          identityProviders: [cognito.identityProvider],
          upstream: cognito.endpoint
        })
      ),
      (a) => Effect.promise(() => a.stop())
    )
    fs.mkdirSync(path.join(home, ".toshi"), { recursive: true, mode: 0o700 })
    fs.writeFileSync(
      path.join(home, ".toshi", "auth_config.json"),
      JSON.stringify({ user_pool_id: cognito.userPoolId, region: cognito.region, scientist_client_id: cognito.clientId, identity_pool_id: aws.identityPoolId })
    )
    const env = { HOME: home, AWS_ENDPOINT_URL: aws.endpoint }
    const user = cognito.users[0]!
    const login = yield* toshi(bin, env, ["login", "--username", user.username, "--password-stdin"], { input: `${user.password}\n` })
    yield* shell(`echo '••••••••' | toshi login --username ${user.username} --password-stdin`, login.stdout)
    const file = path.join(home, ".toshi", "credentials")
    yield* say(`(the file is mode ${(fs.statSync(file).mode & 0o777).toString(8)}, in the Python toshi-auth tool's format)`)
    yield* shell("toshi whoami", (yield* toshi(bin, env, ["whoami"])).stdout)
    const started = Date.now()
    const token = yield* toshi(bin, env, ["token", "--raw"])
    yield* shell("toshi token --raw", token.stdout)
    yield* say(`(a cached token: printed without loading the full CLI, in ${Date.now() - started} ms including process start)`)
    yield* shell("toshi aws-creds --format process", (yield* toshi(bin, env, ["aws-creds", "--format", "process"])).stdout)
  })

const deviceLogin = (bin: string, home: string, server: DevServer) =>
  Effect.gen(function*() {
    yield* step("3. A terminal without a browser logs in to an OIDC profile with the device flow (approved here by the demo)")
    fs.writeFileSync(
      path.join(home, ".toshi", "profiles.json"),
      JSON.stringify({ profiles: { dev: { issuer: server.issuer, client_id: server.clients.public.clientId, scope: "openid email offline_access" } } })
    )
    let approved = false
    const result = yield* toshi(bin, { HOME: home }, ["login", "--profile", "dev", "--flow", "device"], {
      onStderr: (text) => {
        const code = /enter the code (\S+)/.exec(text)?.[1]
        if (code === undefined || approved) return
        approved = true
        console.log(`   ${bold("$ toshi login --profile dev --flow device")}`)
        for (const line of text.trimEnd().split("\n")) console.log(`     ${line}`)
        console.log("   (approving it as the user, as a person would in the browser)")
        void server.approveDeviceCode(code)
      }
    })
    for (const line of result.stdout.trimEnd().split("\n")) yield* say(`  ${line}`)
    if (result.code !== 0) return yield* Effect.dieMessage(`the device login failed: ${result.stderr}`)
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
  // The pinned AWS SDK runs on Node 20; its notice about its 2027 releases would only interrupt the story.
  process.env["AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED"] ??= "true"
  const started = Date.now()
  const server = yield* Effect.acquireRelease(Effect.promise(() => start({ accessTokenTtl: 2 })), (s) => Effect.promise(() => s.stop()))
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-demo-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(home, { recursive: true, force: true })))
  const bin = yield* Effect.promise(() => bundle())
  yield* say(`local identity provider (oidc-provider) at ${server.issuer}`)
  yield* m2mDaemon(server)
  yield* Effect.scoped(cliSession(bin, home))
  yield* deviceLogin(bin, home, server)
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
