import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { AuthError, AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenSet, TokenStore } from "@toshi/core"
import { type DevServer, type LocalAws, type LocalCognito, start, startAws, startCognito } from "@toshi/devserver"
import { TokenClient } from "@toshi/node"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Redacted from "effect/Redacted"
import * as Supervisor from "effect/Supervisor"
import * as TestClock from "effect/TestClock"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as v8 from "node:v8"
import * as vm from "node:vm"

let server: DevServer
let cognito: LocalCognito
let aws: LocalAws
const m2mClient = { clientId: "toshi-m2m", clientSecret: "m2m-secret-1", scopes: ["toshi/read", "toshi/write"] }

beforeAll(async () => {
  ;[server, cognito] = await Promise.all([start(), startCognito()])
  aws = await startAws({
    otpUsers: ["ada@example.org"],
    m2mClients: [m2mClient],
    secrets: { m2m: JSON.stringify({ client_id: m2mClient.clientId, client_secret: m2mClient.clientSecret }) }
  })
}, 60_000)
afterAll(async () => {
  await aws?.stop()
  await cognito?.stop()
  await server?.stop()
})

/** Uses a client and always closes it. */
const using = async <A>(options: TokenClient.Options, f: (client: TokenClient.TokenClient) => Promise<A>): Promise<A> => {
  const client = TokenClient.createTokenClient(options)
  try {
    return await f(client)
  } finally {
    await client.close()
  }
}

/** A full garbage collection, so that heap samples show what is kept rather than what is not yet collected. */
v8.setFlagsFromString("--expose-gc")
const gc = vm.runInNewContext("gc") as () => void

const claims = (token: string) => JSON.parse(Buffer.from(token.split(".")[1]!, "base64url").toString()) as Record<string, unknown>

describe("createTokenClient, each provider kind against the local servers", () => {
  it("client credentials (by discovery), password, refresh token, device code", async () => {
    const m2m = await using({
      provider: {
        type: "clientCredentials",
        issuer: server.issuer,
        clientId: server.clients.confidential.clientId,
        clientSecret: server.clients.confidential.clientSecret,
        scope: ["read"],
        resource: server.resource
      }
    }, async (client) => [await client.token(), await client.headers()] as const)
    assert.strictEqual(claims(m2m[0])["aud"], server.resource)
    assert.deepStrictEqual(m2m[1], { authorization: `Bearer ${m2m[0]}` })

    const user = server.users[0]!
    const passwordOptions = {
      tokenEndpoint: server.endpoints.token,
      clientId: server.clients.password.clientId,
      clientSecret: server.clients.password.clientSecret,
      scope: ["openid", "offline_access"]
    }
    const viaPassword = await using(
      { provider: { type: "password", ...passwordOptions, username: user.username, password: user.password } },
      (client) => client.token()
    )
    assert.isAbove(viaPassword.length, 10)

    // A refresh token obtained elsewhere.
    const login = await (await fetch(server.endpoints.token, {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        authorization: `Basic ${btoa(`${server.clients.password.clientId}:${server.clients.password.clientSecret}`)}`
      },
      body: new URLSearchParams({ grant_type: "password", username: user.username, password: user.password, scope: "openid offline_access" })
    })).json() as { refresh_token: string }
    const viaRefresh = await using(
      { provider: { type: "refreshToken", ...passwordOptions, refreshToken: login.refresh_token } },
      (client) => client.token()
    )
    assert.isAbove(viaRefresh.length, 10)

    const prompts: Array<string> = []
    const viaDevice = await using({
      provider: {
        type: "deviceCode",
        issuer: server.issuer,
        clientId: server.clients.public.clientId,
        scope: ["openid", "offline_access"],
        onPrompt: (prompt) => {
          prompts.push(prompt.userCode)
          void server.approveDeviceCode(prompt.userCode)
        }
      }
    }, (client) => client.token())
    assert.strictEqual(prompts.length, 1)
    assert.isAbove(viaDevice.length, 10)
  })

  it("authorization code: the browser $BROWSER names signs in; the loopback receiver takes the code", async () => {
    const relay = http.createServer((request, response) => {
      let body = ""
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => {
        void server.browse(body, { username: server.users[0]!.username, password: server.users[0]!.password })
        response.end()
      })
    })
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve))
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-browser-"))
    const script = path.join(dir, "browser.mjs")
    fs.writeFileSync(script, `await fetch("http://127.0.0.1:${(relay.address() as AddressInfo).port}/", { method: "POST", body: process.argv[2] })\n`)
    // The opener judges by the environment: CI (set on CI machines), SSH and TOSHI_NO_BROWSER would
    // each rule out any browser, so this test sets exactly the environment of a desktop session.
    const browserEnv = { BROWSER: `${process.execPath} ${script}`, CI: undefined, TOSHI_NO_BROWSER: undefined, SSH_CONNECTION: undefined, SSH_TTY: undefined }
    const saved = Object.fromEntries(Object.keys(browserEnv).map((name) => [name, process.env[name]]))
    const setEnv = (values: Record<string, string | undefined>) => {
      for (const [name, value] of Object.entries(values)) {
        if (value === undefined) delete process.env[name]
        else process.env[name] = value
      }
    }
    setEnv(browserEnv)
    try {
      const opened: Array<string> = []
      const token = await using({
        provider: {
          type: "authorizationCode",
          issuer: server.issuer,
          clientId: server.clients.public.clientId,
          scope: ["openid", "offline_access"],
          onOpen: (url) => opened.push(url)
        }
      }, (client) => client.token())
      assert.isAbove(token.length, 10)
      assert.strictEqual(opened.length, 1)
    } finally {
      setEnv(saved)
      relay.close()
    }
  })

  it("Cognito flavours (password, emailed code, M2M from Secrets Manager), API key, external function", async () => {
    const cognitoToken = await using({
      provider: {
        type: "cognitoPassword",
        region: cognito.region,
        endpoint: cognito.endpoint,
        clientId: cognito.clientId,
        username: cognito.users[0]!.username,
        password: cognito.users[0]!.password
      }
    }, (client) => client.token())
    assert.strictEqual(claims(cognitoToken)["token_use"], "access")

    const otpToken = await using({
      provider: {
        type: "cognitoOtp",
        region: aws.region,
        endpoint: aws.endpoint,
        clientId: aws.otpClientId,
        username: "ada@example.org",
        otp: () => Promise.resolve(aws.sentCodes("ada@example.org").at(-1)!)
      }
    }, (client) => client.token())
    assert.strictEqual(claims(otpToken)["token_use"], "access")

    const m2mToken = await using({
      provider: {
        type: "cognitoM2m",
        secretArn: aws.secretArns["m2m"]!,
        domain: aws.domain,
        secretsManager: { endpoint: aws.endpoint, credentials: { accessKeyId: "local", secretAccessKey: "local" } }
      }
    }, (client) => client.token())
    assert.strictEqual(claims(m2mToken)["scope"], "toshi/read toshi/write")

    const apiKey = await using({ provider: { type: "apiKey", apiKey: "k-1" } }, (client) => client.headers())
    assert.deepStrictEqual(apiKey, { "x-api-key": "k-1" })

    const external = await using(
      { provider: { type: "external", key: "mine", getToken: () => Promise.resolve({ accessToken: "from-my-vault", expiresIn: 600 }) } },
      (client) => client.token()
    )
    assert.strictEqual(external, "from-my-vault")
  })

  it("failures reject with toshi's own error classes: real Errors with _tag, reason and an actionable message", async () => {
    const error = await using({
      provider: {
        type: "password",
        tokenEndpoint: server.endpoints.token,
        clientId: server.clients.password.clientId,
        clientSecret: server.clients.password.clientSecret,
        username: server.users[0]!.username,
        password: "not-the-password"
      }
    }, (client) => client.token().then(() => undefined, (e: unknown) => e))
    assert.instanceOf(error, Error)
    assert.instanceOf(error, AuthError.LoginFailedError)
    assert.strictEqual((error as AuthError.LoginFailedError)._tag, "LoginFailedError")
    assert.strictEqual((error as AuthError.LoginFailedError).reason, "InvalidCredentials")
    assert.notInclude(String((error as Error).message), "not-the-password")

    const client = TokenClient.createTokenClient({ provider: { type: "apiKey", apiKey: "k" } })
    await client.close()
    await client.token().then(() => assert.fail("a closed client gave a token"), (e: Error) => assert.include(e.message, "closed"))
  })
})

describe("createTokenClient.fetch", () => {
  /** A real API on 127.0.0.1 accepting only the tokens in `accepted`. */
  const api = async () => {
    const accepted = new Set<string>()
    const seen: Array<string> = []
    const srv = http.createServer((request, response) => {
      seen.push(request.headers["authorization"] ?? "")
      const ok = accepted.has(request.headers["authorization"] ?? "")
      response.writeHead(ok ? 200 : 401).end(ok ? "ok" : "no")
    })
    await new Promise<void>((resolve) => srv.listen(0, "127.0.0.1", resolve))
    return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}`, accepted, seen, close: () => srv.close() }
  }

  it("a 401 renews once and retries; 100 concurrent requests refused at once cause one renewal", async () => {
    const target = await api()
    let issued = 0
    try {
      await using({
        provider: {
          type: "external",
          key: "counting",
          getToken: () => ({ accessToken: `token-${++issued}`, expiresIn: 3600 })
        }
      }, async (client) => {
        target.accepted.add("Bearer token-2")
        const one = await client.fetch(`${target.url}/one`)
        assert.strictEqual(one.status, 200)
        assert.strictEqual(await one.text(), "ok")
        assert.deepStrictEqual(target.seen, ["Bearer token-1", "Bearer token-2"])
        assert.strictEqual(issued, 2)

        target.accepted.clear()
        target.accepted.add("Bearer token-3")
        const all = await Promise.all(Array.from({ length: 100 }, (_, i) => client.fetch(`${target.url}/item/${i}`)))
        assert.deepStrictEqual([...new Set(all.map((r) => r.status))], [200])
        assert.strictEqual(issued, 3)
        // A second 401 is handed back as it is, after exactly one retry.
        target.accepted.clear()
        const refused = await client.fetch(`${target.url}/refused`)
        assert.strictEqual(refused.status, 401)
        assert.strictEqual(issued, 4)
      })
    } finally {
      target.close()
    }
  })
})

describe("createTokenClient.close", () => {
  it("leaves nothing behind: a process that closes its client exits by itself", async () => {
    const fixture = fileURLToPath(new URL("./fixtures/tokenClientExit.ts", import.meta.url))
    const started = Date.now()
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(process.execPath, ["--import", "tsx", fixture], {
        timeout: 30_000,
        env: {
          ...process.env,
          ISSUER: server.issuer,
          CLIENT_ID: server.clients.confidential.clientId,
          CLIENT_SECRET: server.clients.confidential.clientSecret,
          RESOURCE: server.resource
        }
      }, (error, stdout, stderr) => resolve({ code: error === null ? 0 : (child.exitCode ?? -1), output: stdout + stderr }))
    })
    assert.strictEqual(result.code, 0, result.output)
    assert.include(result.output, "got 200, closed")
    // With a background renewal every second still scheduled, only a clean close lets it exit now.
    assert.isBelow(Date.now() - started, 20_000)
  })
})

describe("the engine over a simulated day", () => {
  it.effect("24 hours of background renewals every 5 minutes: fibers and heap stay flat", () =>
    Effect.gen(function*() {
      let issued = 0
      const provider = AuthProvider.make({
        key: "day",
        acquire: Effect.map(DateTime.now, (now) => {
          issued++
          return TokenSet.make({ accessToken: Redacted.make(`t-${issued}`), issuedAt: now, expiresAt: DateTime.add(now, { minutes: 10 }) })
        })
      })
      const supervisor = yield* Supervisor.track
      const samples: Array<{ readonly fibers: number; readonly heap: number }> = []
      yield* Effect.gen(function*() {
        const manager = yield* TokenManager.make({ refreshAhead: "5 minutes", jitter: 0 })
        for (let minute = 0; minute <= 24 * 60; minute += 2) {
          yield* manager.headers
          yield* TestClock.adjust("2 minutes")
          if (minute % 60 === 0) {
            const fibers = (yield* supervisor.value).filter((fiber) => Fiber.isRuntimeFiber(fiber)).length
            gc()
            samples.push({ fibers, heap: process.memoryUsage().heapUsed })
          }
        }
      }).pipe(
        Effect.provideService(AuthProvider.AuthProvider, provider),
        Effect.provideService(TokenStore.TokenStore, TokenStore.makeMemory()),
        Effect.provideService(RefreshPolicy.RefreshPolicy, RefreshPolicy.raise),
        Effect.provideService(RefreshHooks.RefreshHooks, RefreshHooks.make({})),
        Effect.scoped,
        Effect.supervised(supervisor)
      )
      // About one renewal per 5 minutes, all day long.
      assert.isAbove(issued, 24 * 12 - 5)
      assert.isBelow(issued, 24 * 12 + 5)
      const fibers = samples.map((s) => s.fibers)
      assert.isAtMost(Math.max(...fibers.slice(1)), Math.max(fibers[1]!, 1) + 1, `live fibers per hour: ${fibers.join(",")}`)
      // Heap after a full collection: the last hours hold no more than the first ones, give or take 2 MB.
      const early = Math.max(...samples.slice(1, 4).map((s) => s.heap))
      const late = Math.min(...samples.slice(-3).map((s) => s.heap))
      assert.isBelow(late, early + 2 * 1024 * 1024, `heap after GC per hour (MB): ${samples.map((s) => (s.heap / 2 ** 20).toFixed(1)).join(",")}`)
    }))
})
