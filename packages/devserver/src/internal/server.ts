import { generateKeyPair, randomBytes, randomUUID } from "node:crypto"
import { createServer, type RequestListener, type Server } from "node:http"
import type { AddressInfo } from "node:net"
import { promisify } from "node:util"
import Provider, { errors } from "oidc-provider"
import type { Account, Configuration, JWK, ResourceServer } from "oidc-provider"
import type { DevServer, DevServerClients, DevServerEndpoints, DevServerOptions } from "../DevServer.js"
import { Browser, type Form, isLoopback, type Page } from "./browser.js"
import { interactionRoutes, interactionUrl, type Middleware } from "./interactions.js"
import { MemoryStore } from "./memoryStore.js"
import { deviceFlowPages, LOGIN_FORM_ID, logoutPages, renderError } from "./pages.js"
import { type Api, PASSWORD_GRANT, passwordGrant, passwordGrantParameters } from "./passwordGrant.js"
import { totp } from "./totp.js"
import { randomSecret, seedUsers, type User } from "./users.js"

/** The only address this server ever binds. */
const HOST = "127.0.0.1"
const RESOURCE = "urn:toshi:api"
const API_SCOPES = ["read", "write"]
const DEVICE_CODE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
const DAY = 86_400

const ROUTES = {
  authorization: "/auth",
  code_verification: "/device",
  device_authorization: "/device/auth",
  end_session: "/session/end",
  introspection: "/token/introspection",
  jwks: "/jwks",
  revocation: "/token/revocation",
  token: "/token",
  userinfo: "/me"
} as const

interface Lifetimes {
  readonly accessToken: number
  readonly idToken: number
  readonly refreshToken: number
  readonly deviceCode: number
}

const lifetime = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number of seconds, at least 1 (got ${value})`)
  }
  return value
}

const lifetimes = (options: DevServerOptions): Lifetimes => ({
  accessToken: lifetime("accessTokenTtl", options.accessTokenTtl, 300),
  idToken: lifetime("idTokenTtl", options.idTokenTtl, 300),
  refreshToken: lifetime("refreshTokenTtl", options.refreshTokenTtl, DAY),
  deviceCode: lifetime("deviceCodeTtl", options.deviceCodeTtl, 600)
})

const listen = (server: Server, port: number): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen({ host: HOST, port }, () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

/** RS256, as Cognito signs; generated off the event loop (it takes a few hundred ms). */
const signingKey = async (): Promise<JWK> => {
  const { privateKey } = await promisify(generateKeyPair)("rsa", { modulusLength: 2048 })
  return { ...privateKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" } as JWK
}

const accountOf = (user: User): Account => ({
  accountId: user.sub,
  claims: () => ({ sub: user.sub, email: user.email, email_verified: true, preferred_username: user.username })
})

const isLoginPage = (page: Page): boolean =>
  page.status === 200 && page.url.pathname.startsWith("/interaction/") && page.body.includes(`id="${LOGIN_FORM_ID}"`)

/** The same normalisation oidc-provider applies to a typed user code before looking it up. */
const normalizeUserCode = (userCode: string): string => userCode.toUpperCase().replace(/\W/g, "")

const describeEnd = (end: Awaited<ReturnType<Browser["walk"]>>): string =>
  end._tag === "Page" ? `the walk ended on ${end.page.url.pathname} with HTTP ${end.page.status}` : `it left for ${end.url.href}`

export const start = async (options: DevServerOptions = {}): Promise<DevServer> => {
  const ttl = lifetimes(options)
  const port = options.port ?? 0
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new RangeError(`port must be a whole number from 0 to 65535 (got ${port})`)
  }

  // The issuer must name the real port, so listen first and attach the provider once it is known.
  let handle: RequestListener | undefined
  const server = createServer((req, res) => {
    if (handle === undefined) {
      res.statusCode = 503
      res.end()
      return
    }
    handle(req, res)
  })
  const key = signingKey()
  const boundPort = await listen(server, port)
  try {
    return await serve(server, boundPort, await key, ttl, (listener) => {
      handle = listener
    })
  } catch (error) {
    server.close()
    throw error
  }
}

const serve = async (
  server: Server,
  boundPort: number,
  key: JWK,
  ttl: Lifetimes,
  attach: (listener: RequestListener) => void
): Promise<DevServer> => {
  const issuer = `http://${HOST}:${boundPort}`
  const store = new MemoryStore()
  const users = seedUsers()
  const clients: DevServerClients = {
    confidential: { clientId: "toshi-m2m", clientSecret: randomSecret() },
    public: { clientId: "toshi-cli", redirectUris: [`http://${HOST}/callback`] },
    password: { clientId: "toshi-password", clientSecret: randomSecret() }
  }
  const api: Api = {
    resource: RESOURCE,
    scopes: API_SCOPES,
    info: (): ResourceServer => ({
      scope: API_SCOPES.join(" "),
      audience: RESOURCE,
      accessTokenTTL: ttl.accessToken,
      accessTokenFormat: "jwt",
      jwt: { sign: { alg: "RS256" } }
    })
  }

  const configuration: Configuration = {
    adapter: (model: string) => store.adapter(model),
    clients: [
      {
        client_id: clients.confidential.clientId,
        client_secret: clients.confidential.clientSecret,
        grant_types: ["client_credentials"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_basic"
      },
      {
        client_id: clients.public.clientId,
        application_type: "native",
        token_endpoint_auth_method: "none",
        grant_types: ["authorization_code", "refresh_token", DEVICE_CODE_GRANT],
        response_types: ["code"],
        redirect_uris: [...clients.public.redirectUris]
      },
      {
        client_id: clients.password.clientId,
        client_secret: clients.password.clientSecret,
        grant_types: [PASSWORD_GRANT, "refresh_token"],
        response_types: [],
        redirect_uris: [],
        token_endpoint_auth_method: "client_secret_basic"
      }
    ],
    jwks: { keys: [key] },
    cookies: { keys: [randomBytes(32).toString("base64url")] },
    findAccount: (_ctx, sub) => {
      const user = users.find((candidate) => candidate.sub === sub)
      return user === undefined ? undefined : accountOf(user)
    },
    claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username"] },
    scopes: ["openid", "offline_access", "email", "profile"],
    responseTypes: ["code"],
    pkce: { methods: ["S256"], required: () => true },
    // ID tokens from the code and device flows carry the requested claims too, as Cognito's do.
    conformIdTokenClaims: false,
    rotateRefreshToken: true,
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed("refresh_token"),
    // Refresh tokens outlive the sign-in page's session: the clients never go back to the browser.
    expiresWithSession: () => false,
    clientBasedCORS: (_ctx, origin) => {
      try {
        return isLoopback(new URL(origin))
      } catch {
        return false
      }
    },
    renderError,
    routes: ROUTES,
    interactions: { url: (_ctx, interaction) => interactionUrl(interaction.uid) },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      deviceFlow: { enabled: true, ...deviceFlowPages },
      introspection: { enabled: true },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true, ...logoutPages },
      resourceIndicators: {
        enabled: true,
        // Every grant is for the API unless the request names it otherwise, so no client has to
        // know about resource indicators to get a JWT for it.
        defaultResource: (_ctx, _client, oneOf) => oneOf?.[0] ?? RESOURCE,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, indicator) => {
          if (indicator !== RESOURCE) {
            throw new errors.InvalidTarget(`the only resource indicator here is ${RESOURCE}`)
          }
          return api.info()
        }
      }
    },
    ttl: {
      AccessToken: ttl.accessToken,
      ClientCredentials: ttl.accessToken,
      IdToken: ttl.idToken,
      RefreshToken: ttl.refreshToken,
      DeviceCode: ttl.deviceCode,
      AuthorizationCode: 60,
      Interaction: 3600,
      Session: 14 * DAY,
      // A grant must outlive the refresh tokens issued under it, which rotate from it for days.
      Grant: Math.max(14 * DAY, 10 * ttl.refreshToken)
    }
  }

  const provider = new Provider(issuer, configuration)
  provider.proxy = false
  provider.on("server_error", (_ctx: unknown, error: unknown) => {
    console.error("toshi devserver: server error", error)
  })
  provider.registerGrantType(PASSWORD_GRANT, passwordGrant(provider, users, api), passwordGrantParameters)

  const counts = new Map<string, number>()
  const countRequests: Middleware = async (ctx, next) => {
    try {
      await next()
    } finally {
      const route: unknown = ctx.state.toshiRoute ?? (ctx as { oidc?: { route?: unknown } }).oidc?.route
      const name = typeof route === "string" ? route : ctx.path
      counts.set(name, (counts.get(name) ?? 0) + 1)
    }
  }
  provider.use(countRequests)
  provider.use(interactionRoutes(provider, users))

  // A revoked client is "not found" wherever oidc-provider looks it up: 401 invalid_client.
  const revokedClients = new Set<string>()
  const { Client } = provider
  const findClient = Client.find.bind(Client)
  Client.find = (id: string) => (revokedClients.has(id) ? Promise.resolve(undefined) : findClient(id))

  // RFC 8252 section 7.3: a native app's loopback redirect may use any port. oidc-provider already
  // ignores the port; the public client may also choose its own path.
  const redirectUriAllowed = Client.prototype.redirectUriAllowed
  Client.prototype.redirectUriAllowed = function(this: InstanceType<typeof Client>, value: string): boolean {
    if (redirectUriAllowed.call(this, value)) return true
    if (this.clientId !== clients.public.clientId) return false
    try {
      const url = new URL(value)
      return url.protocol === "http:" && isLoopback(url) && url.hash === "" && url.username === "" && url.password === ""
    } catch {
      return false
    }
  }

  // Validate the client metadata now rather than on the first request.
  for (const clientId of [clients.confidential.clientId, clients.public.clientId, clients.password.clientId]) {
    await findClient(clientId)
  }

  attach(provider.callback())

  const origin = new URL(issuer).origin
  const url = (path: string) => `${issuer}${path}`
  const endpoints: DevServerEndpoints = {
    discovery: url("/.well-known/openid-configuration"),
    token: url(ROUTES.token),
    authorization: url(ROUTES.authorization),
    deviceAuthorization: url(ROUTES.device_authorization),
    jwks: url(ROUTES.jwks),
    revocation: url(ROUTES.revocation),
    userinfo: url(ROUTES.userinfo),
    introspection: url(ROUTES.introspection),
    endSession: url(ROUTES.end_session)
  }

  const findUser = (username: string): User => {
    const user = users.find((candidate) => candidate.username === username)
    if (user === undefined) throw new Error(`the devserver has no user named "${username}"`)
    return user
  }

  /** Opens the device page as a browser does, for the form's anti-forgery token. */
  const openDevicePage = async (browser: Browser): Promise<string> => {
    const response = await browser.request(new URL(ROUTES.code_verification, issuer))
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(await response.text())?.[1]
    if (xsrf === undefined) throw new Error(`the device page answered HTTP ${response.status} without its form`)
    return xsrf
  }

  const findDeviceCode = (userCode: string) =>
    provider.DeviceCode.findByUserCode(normalizeUserCode(userCode), { ignoreExpiration: true })

  const approveDeviceCode = async (userCode: string, username?: string): Promise<void> => {
    const user = username === undefined
      ? users.find((candidate) => candidate.totpSecret === undefined)!
      : findUser(username)
    const credentials: Form = {
      username: user.username,
      password: user.password,
      ...(user.totpSecret === undefined ? {} : { totp: totp(user.totpSecret) })
    }
    const browser = new Browser(origin)
    const xsrf = await openDevicePage(browser)
    let signedIn = false
    const end = await browser.walk(
      new URL(ROUTES.code_verification, issuer),
      { xsrf, user_code: userCode, confirm: "yes" },
      (page) => {
        if (signedIn || !isLoginPage(page)) return undefined
        signedIn = true
        return credentials
      }
    )
    const code = await findDeviceCode(userCode)
    if (code?.accountId !== user.sub) {
      throw new Error(`the device code ${userCode} was not approved: ${describeEnd(end)} (unknown, expired or used code?)`)
    }
  }

  const denyDeviceCode = async (userCode: string): Promise<void> => {
    const browser = new Browser(origin)
    const xsrf = await openDevicePage(browser)
    const end = await browser.walk(
      new URL(ROUTES.code_verification, issuer),
      { xsrf, user_code: userCode, abort: "yes" },
      () => undefined
    )
    const code = await findDeviceCode(userCode)
    if (code?.error !== "access_denied") {
      throw new Error(`the device code ${userCode} was not denied: ${describeEnd(end)} (unknown, expired or used code?)`)
    }
  }

  const browse: DevServer["browse"] = async (authorizationUrl, login, browseOptions) => {
    const first = new URL(authorizationUrl)
    if (first.origin !== origin) {
      throw new Error(`browse() opens this server's pages only (${origin}), not ${first.origin}`)
    }
    const browser = new Browser(origin)
    let signedIn = false
    const end = await browser.walk(first, undefined, (page) => {
      if (signedIn || !isLoginPage(page)) return undefined
      signedIn = true
      if (browseOptions?.deny === true) return { abort: "yes" }
      return {
        username: login.username,
        password: login.password,
        ...(login.totp === undefined ? {} : { totp: login.totp })
      }
    })
    if (end._tag === "Page") {
      return { status: end.page.status, location: undefined }
    }
    if (!isLoopback(end.url)) {
      throw new Error(`browse() delivers to loopback redirect URIs only, not ${end.url.origin}`)
    }
    const response = await fetch(end.url, { redirect: "manual" })
    await response.arrayBuffer()
    return { status: response.status, location: end.url.href }
  }

  const revokeGrants: DevServer["revokeGrants"] = async (filter) => {
    const sub = filter?.username === undefined ? undefined : findUser(filter.username).sub
    for (const grant of store.grants()) {
      if (filter?.clientId !== undefined && grant.clientId !== filter.clientId) continue
      if (sub !== undefined && grant.accountId !== sub) continue
      store.revokeGrant(grant.id)
    }
  }

  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= new Promise<void>((resolve, reject) => {
      server.close((error) => (error === undefined ? resolve() : reject(error)))
      server.closeAllConnections()
    })
    return stopped
  }

  return {
    issuer,
    endpoints,
    resource: RESOURCE,
    clients,
    users: users.map((user) => ({ ...user })),
    counts: () => Object.fromEntries(counts),
    resetCounts: () => counts.clear(),
    approveDeviceCode,
    denyDeviceCode,
    browse,
    revokeClient: (clientId) => {
      revokedClients.add(clientId)
    },
    restoreClient: (clientId) => {
      revokedClients.delete(clientId)
    },
    revokeGrants,
    stop
  }
}
