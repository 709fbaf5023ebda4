import type * as PlatformError from "@effect/platform/Error"
import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Stream from "effect/Stream"
import * as Crypto from "node:crypto"
import * as NodePath from "node:path"
import { AuthenticatedHttpClient } from "../AuthenticatedHttpClient.js"
import type { Algorithm, Expected, Options, Progress, Result } from "../Download.js"
import { ChecksumMismatch, DownloadError } from "../Download.js"
import * as Checksum from "./checksum.js"
import { describeCause, excerpt, redactUrl } from "./httpText.js"

interface Check {
  readonly algorithm: Algorithm
  readonly expected: string
  readonly digest: Checksum.ExpectedDigest
  /** `"expected"`, or the header the digest came from. */
  readonly source: string
}

/** The final path, after making sure a `name` cannot step out of its directory. */
const destination = (options: Options): string | undefined => {
  if (options.path !== undefined) return NodePath.resolve(options.path)
  const name = options.name
  const plain = name !== "" && name !== "." && name !== ".." && !/[/\\\0]/.test(name)
  return plain ? NodePath.resolve(options.dir, name) : undefined
}

/** The caller's digests, each one readable, or the first that is not. */
const expectedChecks = (expected: Expected, source: string): Array<Check> | { readonly invalid: Algorithm } => {
  const checks: Array<Check> = []
  for (const algorithm of Checksum.algorithms) {
    const value = expected[algorithm]
    if (value === undefined) continue
    const digest = Checksum.decodeDigest(algorithm, value)
    if (digest === undefined) return { invalid: algorithm }
    checks.push({ algorithm, expected: value, digest, source })
  }
  return checks
}

/**
 * The digests the response reports about itself. An unreadable one is ignored rather than failed
 * on: the caller did not ask for it, and the transfer itself may be fine.
 */
const reportedChecks = (response: HttpClientResponse.HttpClientResponse): Array<Check> => {
  // When cloud storage decompresses a gzip-stored object on the way out, its hashes are those of
  // the stored (compressed) bytes, not of what arrives: they cannot be checked.
  if (/gunzipped/i.test(response.headers["x-guploader-response-body-transformations"] ?? "")) return []
  const goog = response.headers["x-goog-hash"]
  const reported: Partial<Record<Algorithm, readonly [string, string]>> = {}
  if (goog !== undefined) {
    for (const [algorithm, value] of Object.entries(Checksum.parseGoogHash(goog))) {
      reported[algorithm as Algorithm] = [value, "the x-goog-hash header"]
    }
  }
  const contentMd5 = response.headers["content-md5"]
  if (reported.md5 === undefined && contentMd5 !== undefined) reported.md5 = [contentMd5, "the Content-MD5 header"]
  return Checksum.algorithms.flatMap((algorithm) => {
    const entry = reported[algorithm]
    const digest = entry === undefined ? undefined : Checksum.decodeDigest(algorithm, entry[0])
    return entry === undefined || digest === undefined ? [] : [{ algorithm, expected: entry[0], digest, source: entry[1] }]
  })
}

const excerptLimit = 1024

/** The start of an error response's body; the rest is not read (the connection is then dropped). */
const readExcerpt = (response: HttpClientResponse.HttpClientResponse) =>
  response.stream.pipe(
    Stream.runFoldWhile(
      { chunks: [] as Array<Uint8Array>, length: 0 },
      (read) => read.length < excerptLimit,
      (read, chunk) => ({ chunks: [...read.chunks, chunk], length: read.length + chunk.length })
    ),
    Effect.map((read) => excerpt(Buffer.concat(read.chunks).subarray(0, excerptLimit).toString("utf8"))),
    Effect.orElseSucceed(() => "")
  )

const contentLength = (response: HttpClientResponse.HttpClientResponse): number | undefined => {
  const header = response.headers["content-length"]
  if (header === undefined || !/^\d+$/.test(header.trim())) return undefined
  return Number(header)
}

/** @internal */
export const toFile = (options: Options): Effect.Effect<Result, any, any> => {
  const url = redactUrl(options.url)
  return Effect.gen(function*() {
    const path = destination(options)
    if (path === undefined) {
      return yield* new DownloadError({
        reason: "InvalidName",
        url,
        path: String(options.name),
        description: `"${String(options.name)}" is not a plain file name`
      })
    }
    const given = options.expected === undefined ? undefined : expectedChecks(options.expected, "expected")
    if (given !== undefined && !Array.isArray(given)) {
      return yield* new DownloadError({
        reason: "InvalidChecksum",
        url,
        path,
        description: `the expected ${given.invalid} "${options.expected?.[given.invalid]}" is neither hex nor base64 of the right length`
      })
    }
    const fs = yield* FileSystem.FileSystem
    const client: HttpClient.HttpClient.With<unknown> = options.authenticated === false
      ? yield* HttpClient.HttpClient
      : yield* AuthenticatedHttpClient
    // The transport's own errors name the whole URL, and a pre-signed URL's query is a credential:
    // they are reported as a `DownloadError` that names the URL without it.
    const response = yield* client.get(options.url).pipe(
      Effect.catchIf(HttpClientError.isHttpClientError, (error) =>
        new DownloadError({
          reason: "Transport",
          url,
          path,
          description: `the request failed: ${describeCause(error.cause ?? error.reason)}`,
          cause: error.cause
        })
      )
    )
    if (response.status < 200 || response.status >= 300) {
      const body = yield* readExcerpt(response)
      return yield* new DownloadError({
        reason: "StatusCode",
        url,
        path,
        status: response.status,
        description: `the server answered with status ${response.status}${body === "" ? "" : ` and "${body}"`}`
      })
    }
    const checks = given ?? reportedChecks(response)
    const total = contentLength(response)
    const ioError = (description: string) => (cause: PlatformError.PlatformError) =>
      new DownloadError({ reason: "Io", url, path, description: `${description}: ${cause.message}`, cause })

    // Beside the destination, so that the rename is atomic (same directory, same file system);
    // hidden and random, so that it is never mistaken for the file or clashes with another download.
    const temporary = NodePath.join(
      NodePath.dirname(path),
      `.${NodePath.basename(path)}.${Crypto.randomBytes(6).toString("hex")}.part`
    )
    const hashers = checks.map((check) => Checksum.makeHasher(check.algorithm))
    let received = 0
    const report = (progress: Progress): Effect.Effect<void> =>
      Effect.suspend(() => {
        const result = options.onProgress?.(progress)
        return Effect.isEffect(result) ? result : Effect.void
      })

    const write = Effect.scoped(Effect.gen(function*() {
      const file = yield* fs.open(temporary, { flag: "wx", mode: 0o600 }).pipe(
        Effect.mapError(ioError(`cannot create ${temporary}`))
      )
      const body = Stream.catchAll(response.stream, (error) =>
        new DownloadError({
          reason: "Truncated",
          url,
          path,
          description: `the connection broke after ${received}${total === undefined ? "" : ` of ${total}`} bytes: ` +
            describeCause(error.cause ?? error.reason),
          cause: error.cause
        })
      )
      yield* Stream.runForEach(body, (chunk) =>
        Effect.gen(function*() {
          for (const hasher of hashers) hasher.update(chunk)
          yield* Effect.mapError(file.writeAll(chunk), ioError(`cannot write ${temporary}`))
          received += chunk.length
          yield* report({ received, total })
        }))
      if (received === 0) yield* report({ received, total })
      // On disk before the rename makes it visible: a crash must not leave a verified name on
      // missing bytes.
      yield* Effect.mapError(file.sync, ioError(`cannot flush ${temporary}`))
    }))

    const verify = Effect.gen(function*() {
      if (total !== undefined && received !== total) {
        return yield* new DownloadError({
          reason: "Truncated",
          url,
          path,
          description: `${received} of the ${total} bytes announced arrived`
        })
      }
      const verified: Partial<Record<Algorithm, string>> = {}
      for (const [i, check] of checks.entries()) {
        const actual = hashers[i]!.digest()
        const written = Checksum.encodeDigest(actual, check.digest.encoding)
        if (!Checksum.sameDigest(actual, check.digest.bytes)) {
          return yield* new ChecksumMismatch({
            algorithm: check.algorithm,
            expected: check.expected,
            actual: written,
            source: check.source,
            url,
            path,
            size: received
          })
        }
        verified[check.algorithm] = written
      }
      return verified
    })

    return yield* write.pipe(
      Effect.zipRight(verify),
      Effect.tap(() => Effect.mapError(fs.rename(temporary, path), ioError(`cannot rename ${temporary} to ${path}`))),
      Effect.map((verified): Result => ({ path, size: received, verified })),
      Effect.onExit((exit) => Exit.isSuccess(exit) ? Effect.void : Effect.ignore(fs.remove(temporary)))
    )
  }).pipe(Effect.withSpan("Download.toFile", { attributes: { "url.path": url } }))
}
