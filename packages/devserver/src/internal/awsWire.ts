import { randomInt, randomUUID } from "node:crypto"
import type { IncomingMessage, ServerResponse } from "node:http"

/** The content type of every AWS JSON 1.1 request and response. */
export const AMZ_JSON = "application/x-amz-json-1.1"

const ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

/**
 * An error answered in the shape real AWS services use, so that the SDK throws an exception whose
 * `name` is `type`. Handlers throw it; the server turns it into the response.
 */
export class AwsError extends Error {
  constructor(readonly type: string, message: string, readonly status: number = 400) {
    super(message)
  }
}

export type AwsJson = Readonly<Record<string, unknown>>

/** One decoded AWS JSON request, as a handler sees it. */
export interface AwsCall {
  /** The part of `X-Amz-Target` after the dot, e.g. `GetSecretValue`. */
  readonly operation: string
  readonly body: AwsJson
  /** The region of the SigV4 credential scope, `undefined` when the request is not signed. */
  readonly signingRegion: string | undefined
}

/** What a handler returns when the request belongs to the upstream user pool, not to the emulator. */
export const forward: unique symbol = Symbol("forward")
export type Forward = typeof forward

export type Handler = (call: AwsCall) => Promise<AwsJson | Forward>

export const randomString = (length: number, alphabet: string = ALPHANUMERIC): string =>
  Array.from({ length }, () => alphabet[randomInt(alphabet.length)]).join("")

/** AWS JSON 1.1 timestamps are epoch seconds; fractions are allowed and keep millisecond precision. */
export const epochSeconds = (ms: number): number => ms / 1000

// Only the scope matters here (it tells which region the client was configured for); the signature
// itself is never checked, since the emulator accepts any credentials.
const CREDENTIAL_SCOPE = /^AWS4-HMAC-SHA256\s+Credential=[^/,\s]+\/\d{8}\/([^/,\s]+)\/[^/,\s]+\/aws4_request/

export const signingRegion = (authorization: string | undefined): string | undefined =>
  authorization === undefined ? undefined : CREDENTIAL_SCOPE.exec(authorization)?.[1]

export const header = (request: IncomingMessage, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

export const readBody = (request: IncomingMessage): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const chunks: Array<Buffer> = []
    request.on("data", (chunk: Buffer) => chunks.push(chunk))
    request.once("end", () => resolve(Buffer.concat(chunks)))
    request.once("error", reject)
  })

export const parseJson = (raw: Buffer): AwsJson => {
  // The SDK sends `{}` for an operation without input; an empty body means the same.
  if (raw.length === 0) return {}
  let value: unknown
  try {
    value = JSON.parse(raw.toString("utf8"))
  } catch {
    throw new AwsError("SerializationException", "The request body is not valid JSON.")
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AwsError("SerializationException", "The request body must be a JSON object.")
  }
  return value as AwsJson
}

export const optionalString = (body: AwsJson, name: string): string | undefined => {
  const value = body[name]
  if (value === undefined || value === null) return undefined
  if (typeof value !== "string") throw new AwsError("SerializationException", `${name} must be a string.`)
  return value
}

export const requiredString = (body: AwsJson, name: string): string => {
  const value = optionalString(body, name)
  if (value === undefined || value === "") {
    throw new AwsError("InvalidParameterException", `Missing required parameter ${name}`)
  }
  return value
}

/** A map of strings such as `AuthParameters` or `Logins`; absent means empty. */
export const stringMap = (body: AwsJson, name: string): Readonly<Record<string, string>> => {
  const value = body[name]
  if (value === undefined || value === null) return {}
  if (
    typeof value !== "object" || Array.isArray(value) ||
    Object.values(value).some((entry) => typeof entry !== "string")
  ) {
    throw new AwsError("SerializationException", `${name} must be a map of strings.`)
  }
  return value as Readonly<Record<string, string>>
}

export const sendJson = (response: ServerResponse, status: number, body: unknown, contentType: string): void => {
  const text = JSON.stringify(body)
  response
    .writeHead(status, {
      "content-type": contentType,
      "content-length": Buffer.byteLength(text),
      "x-amzn-RequestId": randomUUID()
    })
    .end(text)
}

export const sendAwsError = (response: ServerResponse, error: AwsError): void => {
  const text = JSON.stringify({ __type: error.type, message: error.message })
  response
    .writeHead(error.status, {
      "content-type": AMZ_JSON,
      "content-length": Buffer.byteLength(text),
      "x-amzn-ErrorType": error.type,
      "x-amzn-RequestId": randomUUID()
    })
    .end(text)
}
