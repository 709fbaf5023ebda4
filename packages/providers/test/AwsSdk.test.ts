/**
 * The AWS SDK clients are loaded by the first request that needs them, never at import: each test
 * imports the built modules (`dist/`, as an application does) in a fresh `node` process and reads
 * what that process loaded. The SDK clients load as CommonJS, so `require.cache` names them all.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type LocalCognito, startCognito } from "@toshi/devserver"
import { execFile } from "node:child_process"
import { fileURLToPath, pathToFileURL } from "node:url"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const dist = (file: string) => pathToFileURL(fileURLToPath(new URL(`../../${file}`, import.meta.url))).href
const hideAwsSdk = fileURLToPath(new URL("fixtures/hideAwsSdk.mjs", import.meta.url))

/** Runs an ES module script in a new `node` (resolving from this package) and parses its last line. */
const node = (script: string, options: { readonly hideAwsSdk?: boolean; readonly env?: Record<string, string> } = {}) =>
  new Promise<any>((resolve, reject) => {
    const args = [...(options.hideAwsSdk === true ? ["--import", hideAwsSdk] : []), "--input-type=module", "-e", script]
    execFile(process.execPath, args, { cwd: packageDir, env: { ...process.env, ...options.env }, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`node failed: ${error.message}\n${stdout}${stderr}`))
      resolve(JSON.parse(stdout.trim().split("\n").at(-1)!))
    })
  })

const prelude = `
import { createRequire } from "node:module"
const require = createRequire(import.meta.url)
const awsModules = () => Object.keys(require.cache).filter((file) => file.includes("/@aws-sdk/"))
`

let cognito: LocalCognito
beforeAll(async () => {
  cognito = await startCognito()
}, 60_000)
afterAll(() => cognito?.stop())

describe("the AWS SDK is loaded by the layer that needs it", () => {
  it("importing OAuth2, the providers barrel or the node barrel loads no @aws-sdk module", async () => {
    const loaded = await node(`${prelude}
const after = {}
for (const file of ${JSON.stringify([dist("providers/dist/OAuth2.js"), dist("providers/dist/index.js"), dist("node/dist/index.js")])}) {
  await import(file)
  after[file.slice(file.indexOf("/packages/") + 10)] = awsModules()
}
console.log(JSON.stringify(after))`)
    assert.deepStrictEqual(loaded, {
      "providers/dist/OAuth2.js": [],
      "providers/dist/index.js": [],
      "node/dist/index.js": []
    })
  })

  it("a Cognito login after such an import loads the SDK and logs in", async () => {
    const result = await node(`${prelude}
const { Cognito } = await import(${JSON.stringify(dist("providers/dist/index.js"))})
const { NodeHttpClient } = await import("@effect/platform-node")
const Effect = await import("effect/Effect")
const Redacted = await import("effect/Redacted")
const before = awsModules().length
const options = JSON.parse(process.env.COGNITO_OPTIONS)
let afterBuild
const tokens = await Effect.runPromise(Effect.provide(Effect.flatMap(
  Cognito.makeUserPassword({ ...options, password: Redacted.make(options.password) }),
  (provider) => Effect.suspend(() => {
    afterBuild = awsModules().length
    return provider.acquire
  })
), NodeHttpClient.layerUndici))
console.log(JSON.stringify({ before, afterBuild, afterLogin: awsModules(), hasToken: Redacted.value(tokens.accessToken).split(".").length === 3 }))`, {
      env: {
        COGNITO_OPTIONS: JSON.stringify({
          region: cognito.region,
          endpoint: cognito.endpoint,
          clientId: cognito.clientId,
          username: cognito.users[0]!.username,
          password: cognito.users[0]!.password
        })
      }
    })
    assert.strictEqual(result.before, 0)
    // Building the provider loads nothing yet: its first request does.
    assert.strictEqual(result.afterBuild, 0)
    assert.isTrue(result.afterLogin.some((file: string) => file.includes("/@aws-sdk/client-cognito-identity-provider/")))
    assert.isTrue(result.hasToken)
  })

  it("without the SDK installed, every AWS flow fails with a MissingPackage error naming what to install", async () => {
    const errors = await node(`${prelude}
const { Cognito, ApiKey, IdentityPool } = await import(${JSON.stringify(dist("providers/dist/index.js"))})
const { AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenSet, TokenStore } = await import(${JSON.stringify(dist("core/dist/index.js"))})
const { NodeHttpClient } = await import("@effect/platform-node")
const DateTime = await import("effect/DateTime")
const Effect = await import("effect/Effect")
const Redacted = await import("effect/Redacted")
const run = (effect) => Effect.runPromise(Effect.flip(Effect.scoped(Effect.provide(effect, NodeHttpClient.layerUndici))))
  .then((e) => ({ tag: e._tag, reason: e.reason, message: e.message }))
const pool = { region: "ap-southeast-2", endpoint: "http://127.0.0.1:9", clientId: "client", username: "ada", password: Redacted.make("pw") }
const session = TokenSet.make({
  accessToken: Redacted.make("a.b.c"),
  refreshToken: Redacted.make("refresh"),
  idToken: Redacted.make("id.token.here"),
  expiresAt: DateTime.unsafeMake(Date.now() + 3600_000)
})
const manager = TokenManager.make({ backgroundRefresh: false }).pipe(
  Effect.provideService(AuthProvider.AuthProvider, AuthProvider.make({ key: "k", acquire: Effect.succeed(session) })),
  Effect.provideService(TokenStore.TokenStore, TokenStore.makeMemory()),
  Effect.provideService(RefreshPolicy.RefreshPolicy, RefreshPolicy.raise),
  Effect.provideService(RefreshHooks.RefreshHooks, RefreshHooks.make({}))
)
console.log(JSON.stringify({
  login: await run(Effect.flatMap(Cognito.makeUserPassword(pool), (p) => p.acquire)),
  renewal: await run(Effect.flatMap(Cognito.makeUserPassword(pool), (p) => p.refresh(session))),
  secret: await run(Effect.flatMap(ApiKey.makeFromSecret({ secretId: "s", jsonKey: "k", region: "us-east-1", endpoint: "http://127.0.0.1:9" }), (p) => p.acquire)),
  identityPool: await run(Effect.flatMap(manager, (m) =>
    IdentityPool.awsCredentials({ region: "ap-southeast-2", identityPoolId: "pool", userPoolId: "up", endpoint: "http://127.0.0.1:9" })
      .pipe(Effect.provideService(TokenManager.TokenManager, m))))
}))`, { hideAwsSdk: true })
    const install = (name: string) => `the package @aws-sdk/${name} is not installed: add it to the application (npm install @aws-sdk/${name})`
    assert.deepStrictEqual(errors.login, {
      tag: "LoginFailedError",
      reason: "MissingPackage",
      message: `Login failed (MissingPackage): ${install("client-cognito-identity-provider")}`
    })
    assert.deepStrictEqual(errors.renewal, {
      tag: "RefreshFailedError",
      reason: "MissingPackage",
      message: `Token refresh failed (MissingPackage): ${install("client-cognito-identity-provider")}`
    })
    assert.deepStrictEqual(errors.secret, {
      tag: "LoginFailedError",
      reason: "MissingPackage",
      message: `Login failed (MissingPackage): ${install("client-secrets-manager")}`
    })
    assert.deepStrictEqual(errors.identityPool, {
      tag: "IdentityPoolError",
      reason: "MissingPackage",
      message: `Identity pool federation failed (MissingPackage): ${install("client-cognito-identity")}`
    })
  })
})
