import { randomUUID } from "node:crypto"
import type { Signer } from "./awsSigner.js"

export interface M2mClient {
  readonly clientId: string
  readonly clientSecret: string
  readonly scopes: ReadonlyArray<string>
}

export interface TokenResponse {
  readonly status: number
  readonly body: Readonly<Record<string, unknown>>
}

const failure = (error: string): TokenResponse => ({ status: 400, body: { error } })

const formDecode = (value: string): string => {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "))
  } catch {
    return value
  }
}

/**
 * The id and secret a request authenticates with: HTTP Basic first, else `client_id` and
 * `client_secret` in the body. RFC 6749 asks Basic credentials to be form-encoded, and not every
 * client does, so both readings are offered.
 */
const credentials = (form: URLSearchParams, authorization: string | undefined) => {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? "")
  if (basic === null) {
    const id = form.get("client_id")
    const secret = form.get("client_secret")
    return id === null || secret === null ? [] : [{ id, secret }]
  }
  const decoded = Buffer.from(basic[1]!, "base64").toString("utf8")
  const colon = decoded.indexOf(":")
  if (colon < 0) return []
  const id = decoded.slice(0, colon)
  const secret = decoded.slice(colon + 1)
  return [{ id, secret }, { id: formDecode(id), secret: formDecode(secret) }]
}

/**
 * The `/oauth2/token` endpoint of a Cognito domain, for machine-to-machine clients: the
 * `client_credentials` grant only, answering errors with Cognito's status and `error` codes.
 */
export const makeTokenEndpoint = (options: {
  readonly clients: ReadonlyArray<M2mClient>
  readonly tokenTtl: number
  readonly signer: Signer
}) =>
async (form: URLSearchParams, authorization: string | undefined): Promise<TokenResponse> => {
  const grantType = form.get("grant_type")
  if (grantType === null) return failure("invalid_request")
  if (grantType !== "client_credentials") return failure("unsupported_grant_type")
  const client = credentials(form, authorization)
    .map(({ id, secret }) => options.clients.find((c) => c.clientId === id && c.clientSecret === secret))
    .find((found) => found !== undefined)
  if (client === undefined) return failure("invalid_client")
  const requested = (form.get("scope") ?? "").split(" ").filter((scope) => scope !== "")
  if (requested.some((scope) => !client.scopes.includes(scope))) return failure("invalid_scope")
  const scope = (requested.length > 0 ? requested : client.scopes).join(" ")
  const accessToken = await options.signer.sign({
    sub: client.clientId,
    client_id: client.clientId,
    token_use: "access",
    scope,
    auth_time: Math.floor(Date.now() / 1000),
    jti: randomUUID(),
    version: 2
  }, options.tokenTtl)
  return {
    status: 200,
    body: { access_token: accessToken, expires_in: options.tokenTtl, token_type: "Bearer" }
  }
}
