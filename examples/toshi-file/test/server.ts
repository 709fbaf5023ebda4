/**
 * A stand-in for the Toshi API on 127.0.0.1, real HTTP all the way:
 *
 * - `POST /graphql` answers `node(id:)` queries for files the way the API does (Relay ids,
 *   `FileInterface` fields, `errors` beside `node: null` for an id it does not know). It wants a
 *   bearer token it accepts or an API key in `x-api-key`, and answers anything else with API
 *   Gateway's `401 {"message":"Unauthorized"}`.
 * - `GET /toshi-files/<key>?X-Amz-…` is object storage behind a pre-signed URL: the signature in the
 *   query is the only credential it takes, and, as S3 does, it refuses a request that also carries an
 *   `Authorization` header. It answers with the bytes, their `Content-Length`, and their digests in
 *   `x-goog-hash` as cloud storage reports them; it can be told to corrupt one byte on the way.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"

export interface StoredFile {
  /** The Relay id: base64 of `File:<number>`. */
  readonly id: string
  readonly file_name: string
  readonly bytes: Uint8Array
  readonly md5_digest: string
  readonly meta: ReadonlyArray<{ readonly k: string; readonly v: string }>
}

export interface Seen {
  readonly method: string
  readonly path: string
  readonly authorization: string | undefined
  readonly apiKey: string | undefined
  readonly operation: string | undefined
}

export interface ToshiServer {
  readonly url: string
  readonly graphqlUrl: string
  readonly files: ReadonlyArray<StoredFile>
  /** Credentials the GraphQL endpoint accepts, and whether storage corrupts what it serves. */
  readonly state: { readonly tokens: Set<string>; readonly apiKeys: Set<string>; corrupt: boolean }
  readonly seen: Array<Seen>
}

const relayId = (type: string, id: number) => Buffer.from(`${type}:${id}`).toString("base64")

/** Bytes that are the same in every run: `size` of them, from a hash chain over `seed`. */
const bytesOf = (seed: string, size: number) => {
  const out = new Uint8Array(size)
  let block = Crypto.createHash("sha512").update(seed).digest()
  for (let at = 0; at < size; at += block.length) {
    out.set(block.subarray(0, Math.min(block.length, size - at)), at)
    block = Crypto.createHash("sha512").update(block).digest()
  }
  return out
}

const stored = (number: number, file_name: string, size: number): StoredFile => {
  const bytes = bytesOf(file_name, size)
  return {
    id: relayId("File", number),
    file_name,
    bytes,
    md5_digest: Crypto.createHash("md5").update(bytes).digest("hex"),
    meta: [{ k: "rupture_set_id", v: relayId("File", 1) }, { k: "max_jump_distance", v: "5.0" }]
  }
}

/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), written out here rather than taken from the
 * library toshi uses, so that the test checks toshi against an independent implementation.
 */
const crc32cTable = Array.from({ length: 256 }, (_, n) => {
  let c = n
  for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0x82f63b78 : c >>> 1
  return c >>> 0
})
const crc32c = (bytes: Uint8Array) => {
  let crc = 0xffffffff
  for (const byte of bytes) crc = (crc >>> 8) ^ crc32cTable[(crc ^ byte) & 0xff]!
  const out = Buffer.alloc(4)
  out.writeUInt32BE((crc ^ 0xffffffff) >>> 0)
  return out.toString("base64")
}

/** The name of the operation a GraphQL request body names, e.g. `file` for `query file(...)`. */
const operationOf = (body: string): string | undefined => {
  try {
    return /\b(?:query|mutation)\s+(\w+)/.exec(String(JSON.parse(body).query))?.[1]
  } catch {
    return undefined
  }
}

const unauthorized = (response: Http.ServerResponse) =>
  void response.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ message: "Unauthorized" }))

const json = (response: Http.ServerResponse, status: number, body: unknown) =>
  void response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))

const xmlError = (response: Http.ServerResponse, status: number, code: string, message: string) =>
  void response.writeHead(status, { "content-type": "application/xml" })
    .end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`)

/** The fields a file node has, in the order the API lists them. */
const fileFields = ["__typename", "id", "file_name", "file_size", "md5_digest", "meta", "file_url"] as const

/** Starts the server; it closes (with its connections) when the scope does. */
export const start: Effect.Effect<ToshiServer, never, Scope.Scope> = Effect.acquireRelease(
  Effect.async<{ server: Http.Server; toshi: ToshiServer }>((resume) => {
    const files = [
      stored(1000, "NZSHM22_InversionSolution-QXV0b21hdGlvblRhc2s6MTA3MDA3.zip", 384 * 1024 + 123),
      stored(1001, "empty.txt", 0)
    ]
    const state = { tokens: new Set<string>(), apiKeys: new Set<string>(), corrupt: false }
    const seen: Array<Seen> = []
    const secret = Crypto.randomBytes(32)
    const sign = (key: string, expires: number) => Crypto.createHmac("sha256", secret).update(`${key}\n${expires}`).digest("hex")
    let origin = ""

    const presignedUrl = (file: StoredFile) => {
      const key = `${file.id}/${file.file_name}`
      const expires = Math.floor(Date.now() / 1000) + 3600
      const query = new URLSearchParams({
        "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
        "X-Amz-Credential": "AKIAIOSFODNN7EXAMPLE/20240101/ap-southeast-2/s3/aws4_request",
        "X-Amz-Expires": String(expires),
        "X-Amz-SignedHeaders": "host",
        "X-Amz-Signature": sign(key, expires)
      })
      return `${origin}/toshi-files/${encodeURIComponent(file.id)}/${encodeURIComponent(file.file_name)}?${query}`
    }

    const graphql = (body: string, response: Http.ServerResponse) => {
      let request: { query?: unknown; variables?: Record<string, unknown> }
      try {
        request = JSON.parse(body)
      } catch {
        return json(response, 400, { errors: [{ message: "POST body sent invalid JSON." }] })
      }
      const query = typeof request.query === "string" ? request.query : ""
      if (!/\bnode\s*\(/.test(query)) {
        return json(response, 400, { errors: [{ message: "This stand-in answers node(id:) queries only." }] })
      }
      const id = String(request.variables?.id ?? "")
      const file = files.find((f) => f.id === id)
      if (file === undefined) {
        const line = query.split("\n").findIndex((l) => /\bnode\s*\(/.test(l)) + 1
        return json(response, 200, {
          errors: [{ message: `File matching query does not exist. (id: ${id})`, locations: [{ line, column: 5 }], path: ["node"] }],
          data: { node: null }
        })
      }
      const all: Record<(typeof fileFields)[number], unknown> = {
        __typename: "File",
        id: file.id,
        file_name: file.file_name,
        file_size: file.bytes.length,
        md5_digest: file.md5_digest,
        meta: file.meta,
        file_url: undefined
      }
      const node: Record<string, unknown> = {}
      for (const field of fileFields) {
        if (!new RegExp(`\\b${field}\\b`).test(query)) continue
        node[field] = field === "file_url" ? presignedUrl(file) : all[field]
      }
      return json(response, 200, { data: { node } })
    }

    const storage = (url: URL, request: Http.IncomingMessage, response: Http.ServerResponse) => {
      const key = url.pathname.slice("/toshi-files/".length).split("/").map(decodeURIComponent).join("/")
      if (request.headers.authorization !== undefined) {
        return xmlError(
          response,
          400,
          "InvalidArgument",
          "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string parameter or the Authorization header should be specified"
        )
      }
      const expires = Number(url.searchParams.get("X-Amz-Expires"))
      const signature = url.searchParams.get("X-Amz-Signature") ?? ""
      const expected = sign(key, expires)
      if (signature.length !== expected.length || !Crypto.timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
        return xmlError(response, 403, "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided.")
      }
      if (expires * 1000 < Date.now()) return xmlError(response, 403, "AccessDenied", "Request has expired")
      const file = files.find((f) => `${f.id}/${f.file_name}` === key)
      if (file === undefined) return xmlError(response, 404, "NoSuchKey", "The specified key does not exist.")
      response.writeHead(200, {
        "content-type": "application/zip",
        "content-length": String(file.bytes.length),
        etag: `"${file.md5_digest}"`,
        "x-goog-hash": `crc32c=${crc32c(file.bytes)},md5=${Buffer.from(file.md5_digest, "hex").toString("base64")}`
      })
      const body = Buffer.from(file.bytes)
      if (state.corrupt && body.length > 0) body[body.length >> 1]! ^= 0x01
      // In pieces, as a large object arrives.
      for (let at = 0; at < body.length; at += 32 * 1024) response.write(body.subarray(at, at + 32 * 1024))
      response.end()
    }

    const server = Http.createServer((request, response) => {
      const chunks: Array<Buffer> = []
      request.on("data", (chunk: Buffer) => chunks.push(chunk))
      request.on("end", () => {
        const url = new URL(request.url ?? "/", origin)
        const body = Buffer.concat(chunks).toString("utf8")
        seen.push({
          method: request.method ?? "",
          path: url.pathname,
          authorization: request.headers.authorization,
          apiKey: request.headers["x-api-key"] as string | undefined,
          operation: url.pathname === "/graphql" ? operationOf(body) : undefined
        })
        if (url.pathname === "/graphql" && request.method === "POST") {
          const bearer = request.headers.authorization?.replace(/^Bearer /, "")
          const key = request.headers["x-api-key"]
          const allowed = (bearer !== undefined && state.tokens.has(bearer)) || (typeof key === "string" && state.apiKeys.has(key))
          return allowed ? graphql(body, response) : unauthorized(response)
        }
        if (url.pathname.startsWith("/toshi-files/") && request.method === "GET") return storage(url, request, response)
        return json(response, 404, { message: "Not Found" })
      })
    })
    server.listen(0, "127.0.0.1", () => {
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
      resume(Effect.succeed({ server, toshi: { url: origin, graphqlUrl: `${origin}/graphql`, files, state, seen } }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.close(() => resume(Effect.void))
      server.closeAllConnections()
    })
).pipe(Effect.map(({ toshi }) => toshi))
