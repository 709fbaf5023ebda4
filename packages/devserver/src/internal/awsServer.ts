import { randomUUID } from "node:crypto"
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http"
import type { AddressInfo } from "node:net"
import { createRemoteJWKSet } from "jose"
import type { AwsEmulatorOptions, AwsInjectedError, AwsRequestRecord, LocalAws } from "../Aws.js"
import { makeIdentityPool } from "./awsIdentityPool.js"
import { type M2mClient, makeTokenEndpoint } from "./awsOauth2.js"
import { makeSecrets } from "./awsSecrets.js"
import { makeSigner } from "./awsSigner.js"
import { makeUserPool } from "./awsUserPool.js"
import {
  AMZ_JSON,
  AwsError,
  forward,
  type Handler,
  header,
  parseJson,
  randomString,
  readBody,
  sendAwsError,
  sendJson,
  signingRegion
} from "./awsWire.js"

/** The only address this server ever binds. */
const HOST = "127.0.0.1"
const USER_POOL_SERVICE = "AWSCognitoIdentityProviderService"
// Headers worth carrying across to the upstream pool and back: the ones the SDK and cognito-local read.
const FORWARDED_REQUEST_HEADERS = ["content-type", "x-amz-target", "authorization", "x-amz-date", "x-amz-security-token"]
const RELAYED_RESPONSE_HEADERS = ["content-type", "x-amzn-errortype", "x-amzn-requestid"]

const lifetime = (name: string, value: number | undefined, fallback: number): number => {
  if (value === undefined) return fallback
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number of seconds, at least 1 (got ${value})`)
  }
  return value
}

const listen = (server: Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once("error", reject)
    server.listen({ host: HOST, port: 0 }, () => {
      server.off("error", reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

const close = (server: Server): Promise<void> =>
  new Promise((resolve, reject) => {
    if (!server.listening) return resolve()
    server.close((error) => (error === undefined ? resolve() : reject(error)))
    // Keep-alive sockets of SDK clients would otherwise hold `close` open until they time out.
    server.closeAllConnections()
  })

/** Failures queued by `failNext`, consumed one per request to their operation. */
const makeInjector = () => {
  const queued = new Map<string, { readonly error: AwsInjectedError; remaining: number }>()
  return {
    add: (operation: string, error: AwsInjectedError, times: number) => {
      if (times < 1) queued.delete(operation)
      else queued.set(operation, { error, remaining: times })
    },
    take: (operation: string): AwsInjectedError | undefined => {
      const entry = queued.get(operation)
      if (entry === undefined) return undefined
      entry.remaining -= 1
      if (entry.remaining <= 0) queued.delete(operation)
      return entry.error
    }
  }
}

export const start = async (options: AwsEmulatorOptions = {}): Promise<LocalAws> => {
  const region = options.region ?? "ap-southeast-2"
  const accountId = options.accountId ?? "123456789012"
  const tokenTtl = lifetime("tokenTtl", options.tokenTtl, 3600)
  const credentialsTtl = lifetime("credentialsTtl", options.credentialsTtl, 3600)
  const upstream = options.upstream === undefined ? undefined : options.upstream.replace(/\/*$/, "/")
  const m2mClients: ReadonlyArray<M2mClient> = (options.m2mClients ?? [
    { clientId: "toshi-m2m", clientSecret: `m2m-secret-${randomString(24)}`, scopes: ["toshi/read", "toshi/write"] }
  ]).map((client) => ({ clientId: client.clientId, clientSecret: client.clientSecret, scopes: [...client.scopes] }))

  // The issuer must name the real port, so listen first and attach the handlers once it is known.
  const server = createServer()
  const port = await listen(server)
  const endpoint = `http://${HOST}:${port}`
  const userPoolId = `${region}_toshiOtp`
  const issuer = `${endpoint}/${userPoolId}`
  const loginKey = `cognito-idp.${region}.amazonaws.com/${userPoolId}`
  const identityPoolId = `${region}:${randomUUID()}`

  let signer: Awaited<ReturnType<typeof makeSigner>>
  try {
    signer = await makeSigner(issuer)
  } catch (error) {
    await close(server)
    throw error
  }
  const secrets = makeSecrets({ region, accountId, initial: options.secrets ?? {} })
  const userPool = makeUserPool({
    otpUsers: options.otpUsers ?? ["ada@example.org"],
    tokenTtl,
    signer,
    hasUpstream: upstream !== undefined
  })
  const identityPool = makeIdentityPool({
    region,
    identityPoolId,
    credentialsTtl,
    providers: [
      ...(options.identityProviders ?? []).map((provider) => ({
        loginKey: provider.loginKey,
        issuer: provider.issuer,
        keys: createRemoteJWKSet(new URL(provider.jwksUri))
      })),
      // Listed last so that a caller's provider can never shadow the emulator's own pool.
      { loginKey, issuer, keys: signer.keys }
    ]
  })
  const tokenEndpoint = makeTokenEndpoint({ clients: m2mClients, tokenTtl, signer })

  const operations: Readonly<Record<string, Handler>> = {
    "secretsmanager.GetSecretValue": secrets.getSecretValue,
    "AWSCognitoIdentityService.GetId": identityPool.getId,
    "AWSCognitoIdentityService.GetCredentialsForIdentity": identityPool.getCredentialsForIdentity,
    [`${USER_POOL_SERVICE}.InitiateAuth`]: userPool.initiateAuth,
    [`${USER_POOL_SERVICE}.RespondToAuthChallenge`]: userPool.respondToAuthChallenge,
    [`${USER_POOL_SERVICE}.RevokeToken`]: userPool.revokeToken
  }
  // Every other user pool operation belongs to the upstream pool (cognito-local).
  const forwardAll: Handler = async () => forward

  let counts: Record<string, number> = {}
  let requests: Array<AwsRequestRecord> = []
  const injector = makeInjector()
  const count = (name: string) => {
    counts[name] = (counts[name] ?? 0) + 1
  }

  const relay = async (request: IncomingMessage, raw: Buffer, response: ServerResponse, operation: string) => {
    if (upstream === undefined) {
      throw new AwsError("InvalidParameterException", `${operation} is not supported by this emulator, and no upstream is set.`)
    }
    count("forwarded")
    const headers: Record<string, string> = {}
    for (const name of FORWARDED_REQUEST_HEADERS) {
      const value = header(request, name)
      if (value !== undefined) headers[name] = value
    }
    let answer: Response
    try {
      answer = await fetch(upstream, { method: "POST", headers, body: raw })
    } catch (error) {
      throw new AwsError("InternalErrorException", `The upstream ${upstream} could not be reached: ${String(error)}`, 500)
    }
    const body = Buffer.from(await answer.arrayBuffer())
    const relayed: Record<string, string> = { "content-length": String(body.length) }
    for (const name of RELAYED_RESPONSE_HEADERS) {
      const value = answer.headers.get(name)
      if (value !== null) relayed[name] = value
    }
    response.writeHead(answer.status, relayed).end(body)
  }

  const handleAws = async (request: IncomingMessage, raw: Buffer, response: ServerResponse) => {
    const target = header(request, "x-amz-target") ?? ""
    const operation = target.slice(target.indexOf(".") + 1)
    const handler = operations[target] ?? (target.startsWith(`${USER_POOL_SERVICE}.`) && operation !== "" ? forwardAll : undefined)
    if (handler === undefined) {
      throw new AwsError("UnknownOperationException", `Unknown operation: X-Amz-Target "${target}".`)
    }
    const region = signingRegion(header(request, "authorization"))
    requests.push({ operation, region })
    count(operation)
    const injected = injector.take(operation)
    if (injected !== undefined) {
      throw new AwsError(injected.type, injected.message ?? `${injected.type} (injected by the emulator)`, injected.status ?? 400)
    }
    const result = await handler({ operation, body: parseJson(raw), signingRegion: region })
    if (result === forward) return relay(request, raw, response, operation)
    sendJson(response, 200, result, AMZ_JSON)
  }

  const handleToken = async (request: IncomingMessage, raw: Buffer, response: ServerResponse) => {
    count("token")
    const injected = injector.take("token")
    if (injected !== undefined) {
      const body = injected.message === undefined
        ? { error: injected.type }
        : { error: injected.type, error_description: injected.message }
      return sendJson(response, injected.status ?? 400, body, "application/json")
    }
    const answer = await tokenEndpoint(new URLSearchParams(raw.toString("utf8")), header(request, "authorization"))
    response.setHeader("cache-control", "no-store")
    sendJson(response, answer.status, answer.body, "application/json")
  }

  const wellKnown = `/${userPoolId}/.well-known`
  const route = async (request: IncomingMessage, response: ServerResponse) => {
    const raw = await readBody(request)
    const path = new URL(request.url ?? "/", endpoint).pathname
    if (request.method === "POST" && path === "/") return handleAws(request, raw, response)
    if (request.method === "POST" && path === "/oauth2/token") return handleToken(request, raw, response)
    if (request.method === "GET" && path === `${wellKnown}/jwks.json`) {
      count("jwks")
      return sendJson(response, 200, signer.jwks, "application/json")
    }
    if (request.method === "GET" && path === `${wellKnown}/openid-configuration`) {
      return sendJson(response, 200, {
        issuer,
        jwks_uri: `${endpoint}${wellKnown}/jwks.json`,
        token_endpoint: `${endpoint}/oauth2/token`,
        grant_types_supported: ["client_credentials"],
        id_token_signing_alg_values_supported: ["RS256"],
        subject_types_supported: ["public"],
        response_types_supported: ["token"]
      }, "application/json")
    }
    sendJson(response, 404, { message: `No route for ${request.method ?? "?"} ${path}` }, "application/json")
  }

  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    route(request, response).catch((error: unknown) => {
      if (response.headersSent) return void response.destroy()
      sendAwsError(
        response,
        error instanceof AwsError ? error : new AwsError("InternalFailure", error instanceof Error ? error.message : String(error), 500)
      )
    })
  })

  return {
    endpoint,
    region,
    get secretArns() {
      return secrets.arns()
    },
    domain: endpoint,
    userPoolId,
    otpClientId: userPool.otpClientId,
    issuer,
    jwksUri: `${endpoint}${wellKnown}/jwks.json`,
    loginKey,
    identityPoolId,
    m2mClients,
    sentCodes: userPool.sentCodes,
    counts: () => ({ ...counts }),
    resetCounts: () => {
      counts = {}
      requests = []
    },
    requests: () => [...requests],
    setSecret: secrets.set,
    deleteSecret: secrets.remove,
    failNext: (operation, error, times = 1) => injector.add(operation, error, times),
    revokeRefreshTokens: userPool.revokeAll,
    stop: () => close(server)
  }
}
