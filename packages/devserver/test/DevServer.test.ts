import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type DevServer, start, totp } from "@toshi/devserver"
import { createHash, createPublicKey, type JsonWebKey, randomBytes, verify } from "node:crypto"
import * as http from "node:http"
import * as net from "node:net"
import { refusesConnections } from "./net.js"

// Every exchange below is real HTTP against the server on 127.0.0.1: nothing is mocked.

interface TokenResponse {
  readonly status: number
  readonly body: Record<string, unknown>
  readonly headers: Headers
}

const post = async (
  url: string,
  form: Record<string, string>,
  basic?: { readonly id: string; readonly secret: string }
): Promise<TokenResponse> => {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" }
  if (basic !== undefined) {
    const encode = (value: string) => encodeURIComponent(value).replace(/%20/g, "+")
    headers.authorization = `Basic ${Buffer.from(`${encode(basic.id)}:${encode(basic.secret)}`).toString("base64")}`
  }
  const response = await fetch(url, { method: "POST", headers, body: new URLSearchParams(form).toString() })
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers }
}

const text = (value: unknown): string => {
  assert.isString(value)
  return value as string
}

const decodeJwt = (token: unknown) => {
  const [header = "", payload = "", signature = ""] = text(token).split(".")
  const json = (part: string) => JSON.parse(Buffer.from(part, "base64url").toString("utf8")) as Record<string, unknown>
  return { header: json(header), payload: json(payload), signingInput: `${header}.${payload}`, signature }
}

const s256 = (verifier: string): string => createHash("sha256").update(verifier).digest("base64url")

/** The app's loopback receiver: answers 200 and remembers each callback's query. */
const startReceiver = async () => {
  const received: Array<URLSearchParams> = []
  const server = http.createServer((request, response) => {
    received.push(new URL(request.url ?? "/", "http://127.0.0.1").searchParams)
    response.writeHead(200, { "content-type": "text/plain" }).end("You may close this window.")
  })
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  const { port } = server.address() as net.AddressInfo
  return {
    port,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      })
  }
}

describe("DevServer", () => {
  let server: DevServer
  let receiver: Awaited<ReturnType<typeof startReceiver>>

  beforeAll(async () => {
    ;[server, receiver] = await Promise.all([start(), startReceiver()])
  })

  afterAll(async () => {
    await Promise.all([server?.stop(), receiver?.close()])
  })

  const confidential = () => ({ id: server.clients.confidential.clientId, secret: server.clients.confidential.clientSecret })
  const passwordClient = () => ({ id: server.clients.password.clientId, secret: server.clients.password.clientSecret })
  const user = (name: "plain" | "totp") => {
    const found = server.users.find((candidate) => (candidate.totpSecret !== undefined) === (name === "totp"))
    assert.isDefined(found)
    return found!
  }
  const passwordLogin = (username: string, password: string, extra: Record<string, string> = {}) =>
    post(server.endpoints.token, { grant_type: "password", username, password, scope: "openid email read write", ...extra }, passwordClient())
  const refresh = (refreshToken: unknown, client = passwordClient()) =>
    post(server.endpoints.token, { grant_type: "refresh_token", refresh_token: text(refreshToken) }, client)

  const jwksKey = async (kid: unknown) => {
    const jwks = (await (await fetch(server.endpoints.jwks)).json()) as { keys: Array<JsonWebKey & { kid: string }> }
    const key = jwks.keys.find((candidate) => candidate.kid === kid)
    assert.isDefined(key, `kid ${String(kid)} is not in /jwks`)
    return key!
  }

  const assertApiJwt = async (token: unknown, expected: { sub: string; scope: string }) => {
    const jwt = decodeJwt(token)
    assert.strictEqual(jwt.header.alg, "RS256")
    const key = await jwksKey(jwt.header.kid)
    const valid = verify(
      "RSA-SHA256",
      Buffer.from(jwt.signingInput),
      createPublicKey({ key, format: "jwk" }),
      Buffer.from(jwt.signature, "base64url")
    )
    assert.isTrue(valid, "the signature verifies with the key from /jwks")
    assert.strictEqual(jwt.payload.iss, server.issuer)
    assert.strictEqual(jwt.payload.aud, server.resource)
    assert.strictEqual(jwt.payload.sub, expected.sub)
    assert.strictEqual(jwt.payload.scope, expected.scope)
    return jwt.payload
  }

  describe("the listener", () => {
    it("binds 127.0.0.1 only: other loopback addresses are refused", async () => {
      const { hostname, port } = new URL(server.issuer)
      assert.strictEqual(hostname, "127.0.0.1")
      assert.isFalse(await refusesConnections("127.0.0.1", Number(port)))
      // A wildcard bind (0.0.0.0 or ::) would accept these too.
      assert.isTrue(await refusesConnections("127.0.0.2", Number(port)))
      assert.isTrue(await refusesConnections("::1", Number(port)))
    })

    it("listens on the port it is given, and stops", async () => {
      const probe = net.createServer()
      await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve))
      const { port } = probe.address() as net.AddressInfo
      await new Promise<void>((resolve) => probe.close(() => resolve()))
      const fixed = await start({ port })
      assert.strictEqual(fixed.issuer, `http://127.0.0.1:${port}`)
      assert.strictEqual((await fetch(fixed.endpoints.jwks)).status, 200)
      await fixed.stop()
      assert.isTrue(await refusesConnections("127.0.0.1", port))
    })

    it("rejects a lifetime below one second", async () => {
      let error: unknown
      await start({ accessTokenTtl: 0 }).catch((e: unknown) => {
        error = e
      })
      assert.instanceOf(error, RangeError)
    })
  })

  it("publishes a discovery document with its endpoints and grant types", async () => {
    const response = await fetch(server.endpoints.discovery)
    assert.strictEqual(response.status, 200)
    const discovery = (await response.json()) as Record<string, unknown>
    assert.strictEqual(discovery.issuer, server.issuer)
    assert.strictEqual(discovery.token_endpoint, server.endpoints.token)
    assert.strictEqual(discovery.authorization_endpoint, server.endpoints.authorization)
    assert.strictEqual(discovery.device_authorization_endpoint, server.endpoints.deviceAuthorization)
    assert.strictEqual(discovery.jwks_uri, server.endpoints.jwks)
    assert.strictEqual(discovery.revocation_endpoint, server.endpoints.revocation)
    assert.strictEqual(discovery.userinfo_endpoint, server.endpoints.userinfo)
    assert.strictEqual(discovery.introspection_endpoint, server.endpoints.introspection)
    assert.strictEqual(discovery.end_session_endpoint, server.endpoints.endSession)
    assert.includeMembers(discovery.grant_types_supported as Array<string>, [
      "authorization_code",
      "client_credentials",
      "refresh_token",
      "password",
      "urn:ietf:params:oauth:grant-type:device_code"
    ])
    assert.deepStrictEqual(discovery.code_challenge_methods_supported, ["S256"])
  })

  describe("client credentials", () => {
    it("with client_secret_basic returns a JWT for the API, signed by a key in /jwks", async () => {
      const response = await post(server.endpoints.token, { grant_type: "client_credentials", scope: "read write" }, confidential())
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.body.token_type, "Bearer")
      assert.strictEqual(response.body.expires_in, 300)
      const claims = await assertApiJwt(response.body.access_token, { sub: confidential().id, scope: "read write" })
      assert.strictEqual(claims.client_id, confidential().id)
    })

    it("with client_secret_post and an explicit resource returns the same kind of token", async () => {
      const response = await post(server.endpoints.token, {
        grant_type: "client_credentials",
        client_id: confidential().id,
        client_secret: confidential().secret,
        resource: server.resource,
        scope: "read"
      })
      assert.strictEqual(response.status, 200)
      await assertApiJwt(response.body.access_token, { sub: confidential().id, scope: "read" })
    })

    it("with a wrong secret answers 401 invalid_client", async () => {
      const response = await post(server.endpoints.token, { grant_type: "client_credentials" }, { id: confidential().id, secret: "wrong" })
      assert.strictEqual(response.status, 401)
      assert.strictEqual(response.body.error, "invalid_client")
    })

    it("for another resource answers invalid_target", async () => {
      const response = await post(server.endpoints.token, { grant_type: "client_credentials", resource: "urn:other:api" }, confidential())
      assert.strictEqual(response.status, 400)
      assert.strictEqual(response.body.error, "invalid_target")
    })
  })

  describe("password grant", () => {
    it("returns a JWT access token, a refresh token and an ID token with the email", async () => {
      const alice = user("plain")
      const response = await passwordLogin(alice.username, alice.password)
      assert.strictEqual(response.status, 200)
      await assertApiJwt(response.body.access_token, { sub: alice.sub, scope: "read write" })
      assert.isString(response.body.refresh_token)
      const idToken = decodeJwt(response.body.id_token).payload
      assert.strictEqual(idToken.sub, alice.sub)
      assert.strictEqual(idToken.aud, passwordClient().id)
      assert.strictEqual(idToken.email, alice.email)
    })

    it("rejects a wrong password or an unknown user with invalid_grant", async () => {
      const alice = user("plain")
      for (const [username, password] of [[alice.username, `${alice.password}x`], ["mallory", alice.password]] as const) {
        const response = await passwordLogin(username, password)
        assert.strictEqual(response.status, 400)
        assert.strictEqual(response.body.error, "invalid_grant")
        assert.strictEqual(response.body.error_description, "wrong username or password")
      }
    })

    it("asks a TOTP user for the code, rejects a wrong one and accepts the current one", async () => {
      const bob = user("totp")
      const missing = await passwordLogin(bob.username, bob.password)
      assert.strictEqual(missing.status, 400)
      assert.strictEqual(missing.body.error, "invalid_grant")
      assert.strictEqual(missing.body.error_description, "a TOTP code is required")

      const current = totp(bob.totpSecret!)
      const wrongCode = String((Number(current) + 500_000) % 1_000_000).padStart(6, "0")
      const wrong = await passwordLogin(bob.username, bob.password, { totp: wrongCode })
      assert.strictEqual(wrong.status, 400)
      assert.strictEqual(wrong.body.error, "invalid_grant")

      const ok = await passwordLogin(bob.username, bob.password, { totp: current })
      assert.strictEqual(ok.status, 200)
      await assertApiJwt(ok.body.access_token, { sub: bob.sub, scope: "read write" })
    })

    it("is refused to a client that is not allowed the grant", async () => {
      const alice = user("plain")
      const response = await post(server.endpoints.token, {
        grant_type: "password",
        username: alice.username,
        password: alice.password
      }, confidential())
      assert.strictEqual(response.status, 400)
      assert.strictEqual(response.body.error, "invalid_request")
      assert.match(text(response.body.error_description), /grant type is not allowed/)
    })
  })

  describe("refresh tokens", () => {
    it("rotate: the new one works once, and a reused old one fails with invalid_grant", async () => {
      const alice = user("plain")
      const login = await passwordLogin(alice.username, alice.password)
      const first = await refresh(login.body.refresh_token)
      assert.strictEqual(first.status, 200)
      assert.notStrictEqual(first.body.refresh_token, login.body.refresh_token)
      await assertApiJwt(first.body.access_token, { sub: alice.sub, scope: "read write" })

      const reused = await refresh(login.body.refresh_token)
      assert.strictEqual(reused.status, 400)
      assert.strictEqual(reused.body.error, "invalid_grant")
      // Reuse is treated as theft: the whole grant is revoked, the newest token with it.
      const afterTheft = await refresh(first.body.refresh_token)
      assert.strictEqual(afterTheft.body.error, "invalid_grant")
    })

    it("stop working after revokeGrants, for the matching user only", async () => {
      const alice = user("plain")
      const bob = user("totp")
      const aliceLogin = await passwordLogin(alice.username, alice.password)
      const bobLogin = await passwordLogin(bob.username, bob.password, { totp: totp(bob.totpSecret!) })
      await server.revokeGrants({ username: alice.username })
      const aliceRefresh = await refresh(aliceLogin.body.refresh_token)
      assert.strictEqual(aliceRefresh.status, 400)
      assert.strictEqual(aliceRefresh.body.error, "invalid_grant")
      const bobRefresh = await refresh(bobLogin.body.refresh_token)
      assert.strictEqual(bobRefresh.status, 200)

      await server.revokeGrants()
      const afterAll = await refresh(bobRefresh.body.refresh_token)
      assert.strictEqual(afterAll.body.error, "invalid_grant")
    })
  })

  describe("revoked clients", () => {
    it("get 401 invalid_client on every request until restored", async () => {
      const alice = user("plain")
      const login = await passwordLogin(alice.username, alice.password)
      server.revokeClient(confidential().id)
      server.revokeClient(passwordClient().id)
      try {
        const fresh = await post(server.endpoints.token, { grant_type: "client_credentials" }, confidential())
        assert.strictEqual(fresh.status, 401)
        assert.strictEqual(fresh.body.error, "invalid_client")
        const existing = await refresh(login.body.refresh_token)
        assert.strictEqual(existing.status, 401)
        assert.strictEqual(existing.body.error, "invalid_client")
      } finally {
        server.restoreClient(confidential().id)
        server.restoreClient(passwordClient().id)
      }
      const restored = await post(server.endpoints.token, { grant_type: "client_credentials" }, confidential())
      assert.strictEqual(restored.status, 200)
      assert.strictEqual((await refresh(login.body.refresh_token)).status, 200)
    })
  })

  describe("device authorization grant", () => {
    const requestDeviceCode = async () => {
      const response = await post(server.endpoints.deviceAuthorization, {
        client_id: server.clients.public.clientId,
        scope: "openid email offline_access read"
      })
      assert.strictEqual(response.status, 200)
      assert.isString(response.body.verification_uri)
      return { deviceCode: text(response.body.device_code), userCode: text(response.body.user_code) }
    }
    const poll = (deviceCode: string) =>
      post(server.endpoints.token, {
        grant_type: "urn:ietf:params:oauth:grant-type:device_code",
        client_id: server.clients.public.clientId,
        device_code: deviceCode
      })

    it("is pending until approved, then yields tokens for the approving user", async () => {
      const alice = user("plain")
      const { deviceCode, userCode } = await requestDeviceCode()
      const pending = await poll(deviceCode)
      assert.strictEqual(pending.status, 400)
      assert.strictEqual(pending.body.error, "authorization_pending")

      await server.approveDeviceCode(userCode)
      const granted = await poll(deviceCode)
      assert.strictEqual(granted.status, 200)
      await assertApiJwt(granted.body.access_token, { sub: alice.sub, scope: "read" })
      assert.isString(granted.body.refresh_token)
      assert.strictEqual(decodeJwt(granted.body.id_token).payload.email, alice.email)

      const reused = await poll(deviceCode)
      assert.strictEqual(reused.body.error, "invalid_grant")
    })

    it("can be approved as the TOTP user", async () => {
      const bob = user("totp")
      const { deviceCode, userCode } = await requestDeviceCode()
      await server.approveDeviceCode(userCode, bob.username)
      const granted = await poll(deviceCode)
      assert.strictEqual(granted.status, 200)
      await assertApiJwt(granted.body.access_token, { sub: bob.sub, scope: "read" })
    })

    it("answers access_denied once denied", async () => {
      const { deviceCode, userCode } = await requestDeviceCode()
      await server.denyDeviceCode(userCode)
      const denied = await poll(deviceCode)
      assert.strictEqual(denied.status, 400)
      assert.strictEqual(denied.body.error, "access_denied")
    })

    it("refuses to approve an unknown user code", async () => {
      let error: unknown
      await server.approveDeviceCode("BCDF-GHJK").catch((e: unknown) => {
        error = e
      })
      assert.instanceOf(error, Error)
      assert.match((error as Error).message, /was not approved/)
    })
  })

  describe("authorization code with PKCE", () => {
    const authorizationUrl = (params: Record<string, string>) => {
      const url = new URL(server.endpoints.authorization)
      for (const [name, value] of Object.entries({
        response_type: "code",
        client_id: server.clients.public.clientId,
        redirect_uri: `http://127.0.0.1:${receiver.port}/callback`,
        scope: "openid email offline_access read write",
        ...params
      })) {
        url.searchParams.set(name, value)
      }
      return url.href
    }

    it("signs in through browse(), delivers code and state to the loopback receiver, and exchanges the code", async () => {
      const alice = user("plain")
      const verifier = randomBytes(32).toString("base64url")
      const state = randomBytes(8).toString("hex")
      const redirectUri = `http://127.0.0.1:${receiver.port}/callback`
      const before = receiver.received.length

      const result = await server.browse(
        authorizationUrl({ state, code_challenge: s256(verifier), code_challenge_method: "S256" }),
        { username: alice.username, password: alice.password }
      )
      assert.strictEqual(result.status, 200)
      assert.isString(result.location)
      assert.isTrue(result.location!.startsWith(`${redirectUri}?`), result.location)
      assert.strictEqual(receiver.received.length, before + 1)
      const callback = receiver.received[before]!
      assert.strictEqual(callback.get("state"), state)
      assert.strictEqual(callback.get("iss"), server.issuer)
      const code = callback.get("code")
      assert.isString(code)

      const wrongVerifier = await post(server.endpoints.token, {
        grant_type: "authorization_code",
        client_id: server.clients.public.clientId,
        code: code!,
        redirect_uri: redirectUri,
        code_verifier: randomBytes(32).toString("base64url")
      })
      assert.strictEqual(wrongVerifier.body.error, "invalid_grant")

      // PKCE is checked before the code is spent, so the right verifier still redeems it, once.
      const exchange = () =>
        post(server.endpoints.token, {
          grant_type: "authorization_code",
          client_id: server.clients.public.clientId,
          code: code!,
          redirect_uri: redirectUri,
          code_verifier: verifier
        })
      const tokens = await exchange()
      assert.strictEqual(tokens.status, 200)
      await assertApiJwt(tokens.body.access_token, { sub: alice.sub, scope: "read write" })
      assert.strictEqual(decodeJwt(tokens.body.id_token).payload.email, alice.email)
      const renewed = await post(server.endpoints.token, {
        grant_type: "refresh_token",
        client_id: server.clients.public.clientId,
        refresh_token: text(tokens.body.refresh_token)
      })
      assert.strictEqual(renewed.status, 200)
      assert.strictEqual((await exchange()).body.error, "invalid_grant")
    })

    it("requires PKCE", async () => {
      const alice = user("plain")
      const result = await server.browse(authorizationUrl({ state: "s" }), { username: alice.username, password: alice.password })
      assert.isString(result.location)
      const params = new URL(result.location!).searchParams
      assert.strictEqual(params.get("error"), "invalid_request")
      assert.isNull(params.get("code"))
    })

    it("accepts a loopback redirect on another path, and refuses a redirect off the machine", async () => {
      const alice = user("plain")
      const pkce = { code_challenge: s256("v".repeat(43)), code_challenge_method: "S256" }
      const otherPath = await server.browse(
        authorizationUrl({ ...pkce, redirect_uri: `http://127.0.0.1:${receiver.port}/oauth/done` }),
        { username: alice.username, password: alice.password }
      )
      assert.strictEqual(otherPath.status, 200)
      assert.isNotNull(new URL(otherPath.location!).searchParams.get("code"))

      const offMachine = await server.browse(
        authorizationUrl({ ...pkce, redirect_uri: "http://toshi.invalid/callback" }),
        { username: alice.username, password: alice.password }
      )
      assert.strictEqual(offMachine.status, 400)
      assert.isUndefined(offMachine.location)
    })

    it("signs in the TOTP user with the code, and refuses a wrong password with 401", async () => {
      const bob = user("totp")
      const pkce = { code_challenge: s256("w".repeat(43)), code_challenge_method: "S256" }
      const withCode = await server.browse(authorizationUrl(pkce), {
        username: bob.username,
        password: bob.password,
        totp: totp(bob.totpSecret!)
      })
      assert.isNotNull(new URL(withCode.location!).searchParams.get("code"))

      const withoutCode = await server.browse(authorizationUrl(pkce), { username: bob.username, password: bob.password })
      assert.strictEqual(withoutCode.status, 401)
      assert.isUndefined(withoutCode.location)
    })

    it("delivers access_denied when the person cancels", async () => {
      const alice = user("plain")
      const result = await server.browse(
        authorizationUrl({ state: "deny", code_challenge: s256("x".repeat(43)), code_challenge_method: "S256" }),
        { username: alice.username, password: alice.password },
        { deny: true }
      )
      assert.strictEqual(result.status, 200)
      const params = new URL(result.location!).searchParams
      assert.strictEqual(params.get("error"), "access_denied")
      assert.strictEqual(params.get("state"), "deny")
    })
  })

  it("counts requests per endpoint", async () => {
    server.resetCounts()
    for (let i = 0; i < 3; i++) {
      await post(server.endpoints.token, { grant_type: "client_credentials" }, confidential())
    }
    await fetch(server.endpoints.jwks)
    const counts = server.counts()
    assert.strictEqual(counts.token, 3)
    assert.strictEqual(counts.jwks, 1)
    assert.isUndefined(counts.discovery)
    server.resetCounts()
    assert.deepStrictEqual(server.counts(), {})
  })
})

describe("DevServer with second-scale lifetimes", () => {
  let server: DevServer

  beforeAll(async () => {
    server = await start({ accessTokenTtl: 2, idTokenTtl: 3, refreshTokenTtl: 2 })
  })

  afterAll(async () => {
    await server?.stop()
  })

  it("issues 2-second access tokens and 3-second ID tokens, and expires 2-second refresh tokens", async () => {
    const client = { id: server.clients.password.clientId, secret: server.clients.password.clientSecret }
    const alice = server.users.find((user) => user.totpSecret === undefined)!
    const login = await post(server.endpoints.token, {
      grant_type: "password",
      username: alice.username,
      password: alice.password,
      scope: "openid read"
    }, client)
    assert.strictEqual(login.status, 200)
    assert.strictEqual(login.body.expires_in, 2)
    const access = decodeJwt(login.body.access_token).payload
    assert.strictEqual(Number(access.exp) - Number(access.iat), 2)
    const id = decodeJwt(login.body.id_token).payload
    assert.strictEqual(Number(id.exp) - Number(id.iat), 3)

    const machine = await post(server.endpoints.token, { grant_type: "client_credentials" }, {
      id: server.clients.confidential.clientId,
      secret: server.clients.confidential.clientSecret
    })
    const machineClaims = decodeJwt(machine.body.access_token).payload
    assert.strictEqual(Number(machineClaims.exp) - Number(machineClaims.iat), 2)

    const renewed = await post(server.endpoints.token, { grant_type: "refresh_token", refresh_token: text(login.body.refresh_token) }, client)
    assert.strictEqual(renewed.status, 200)
    const renewedAt = Date.now()
    // The server counts in whole seconds: wait past the next full second after the 2 s lifetime.
    await new Promise((resolve) => setTimeout(resolve, 3_100 - (Date.now() - renewedAt)))
    const expired = await post(server.endpoints.token, { grant_type: "refresh_token", refresh_token: text(renewed.body.refresh_token) }, client)
    assert.strictEqual(expired.status, 400)
    assert.strictEqual(expired.body.error, "invalid_grant")
  })
})
