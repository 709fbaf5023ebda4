/**
 * An authenticated, verified download to a file. The body is streamed, never held in memory whole:
 * each chunk is hashed and written to a temporary file (mode 0600) beside the destination, and only
 * when every checksum matches is the temporary file renamed into place. On a mismatch, an error or an
 * interruption the temporary file is removed and the destination is left as it was, so a file at the
 * destination path is always a complete, verified one.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { AuthError } from "@toshi/core"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as AuthenticatedHttpClient from "./AuthenticatedHttpClient.js"
import * as internal from "./internal/download.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Algorithm = "crc32c" | "md5" | "sha256"

/**
 * The digests the file must have. Any subset may be given; every one given is checked.
 *
 * @since 0.1.0
 * @category models
 */
export interface Expected {
  /** Base64 of the big-endian 32-bit value, as cloud storage reports it (`x-goog-hash: crc32c=…`); hex is accepted too. */
  readonly crc32c?: string | undefined
  /** Hex or base64. */
  readonly sha256?: string | undefined
  /** Hex (as APIs usually list it) or base64 (as `x-goog-hash: md5=…` and `Content-MD5` carry it). */
  readonly md5?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Progress {
  /** Bytes written so far. */
  readonly received: number
  /** The response's `Content-Length`, when it sent one. */
  readonly total: number | undefined
}

/**
 * Where the file goes: a full path, or a directory and a file name. A name is a name only: one
 * with a path separator, or `.` or `..`, is refused (names often come from an API's metadata). The
 * directory must exist.
 *
 * @since 0.1.0
 * @category models
 */
export type Destination =
  | { readonly path: string; readonly dir?: undefined; readonly name?: undefined }
  | { readonly dir: string; readonly name: string; readonly path?: undefined }

/**
 * @since 0.1.0
 * @category models
 */
export type Options = Destination & {
  readonly url: string
  /**
   * The digests to check. When left out, those the response itself reports (`x-goog-hash`, or
   * `Content-MD5`) are checked instead; when there are none either, the file is not verified.
   */
  readonly expected?: Expected | undefined
  /** Called after every chunk is written; an `Effect` it returns is run before the next chunk. */
  readonly onProgress?: ((progress: Progress) => void | Effect.Effect<void>) | undefined
  /**
   * Send the request through the `AuthenticatedHttpClient` (the default). `false` sends it through
   * the plain `HttpClient`, for pre-signed URLs: those must not receive the API's credentials.
   */
  readonly authenticated?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Result {
  /** The destination, now holding the verified file. */
  readonly path: string
  readonly size: number
  /** The digests that were checked and matched, each written the way its expected value was. */
  readonly verified: Readonly<Partial<Record<Algorithm, string>>>
}

/**
 * The downloaded bytes do not have the expected digest. Nothing was written at the destination.
 *
 * @since 0.1.0
 * @category errors
 */
export class ChecksumMismatch extends Data.TaggedError("ChecksumMismatch")<{
  readonly algorithm: Algorithm
  /** As given (or as the response's header gave it). */
  readonly expected: string
  /** Written the same way (hex or base64) as `expected`. */
  readonly actual: string
  /** Where the expected digest came from: `"expected"` (the caller), or the header's name. */
  readonly source: string
  /** The URL, without its query string (a pre-signed URL's query is a credential). */
  readonly url: string
  readonly path: string
  readonly size: number
}> {
  override get message(): string {
    return `The download of ${this.url} is corrupt: its ${this.algorithm} is ${this.actual}, not ${this.expected} ` +
      `(from ${this.source}), after ${this.size} bytes. ${this.path} was not written; download it again, ` +
      "and if it keeps failing, check the expected checksum"
  }
}

/**
 * The download could not be made: the server's status, the connection (failed, or cut before the
 * end of the body), a file system failure, a destination name that is not a plain file name, or an
 * expected checksum that cannot be read.
 *
 * @since 0.1.0
 * @category errors
 */
export class DownloadError extends Data.TaggedError("DownloadError")<{
  readonly reason: "StatusCode" | "Transport" | "Truncated" | "Io" | "InvalidName" | "InvalidChecksum"
  /** The URL, without its query string. */
  readonly url: string
  readonly path: string
  readonly description: string
  /** For `StatusCode`. */
  readonly status?: number
  /** The file system's or the transport's error. */
  readonly cause?: unknown
}> {
  override get message(): string {
    return `Download of ${this.url} to ${this.path} failed (${this.reason}): ${this.description}${downloadAdvice[this.reason]}`
  }
}

const downloadAdvice: Record<DownloadError["reason"], string> = {
  StatusCode: ". Check the URL; a pre-signed URL may have expired: ask for a new one.",
  Transport: ". Check the network, the proxy and the URL's host.",
  Truncated: ". The connection was cut: download it again.",
  Io: ". Check that the directory exists, is writable and has space.",
  InvalidName: ". Give a plain file name, or a full path.",
  InvalidChecksum: ". Give the digest in hex or base64."
}

/**
 * What a download through the `AuthenticatedHttpClient` can fail with: the transport's errors are
 * `DownloadError`s (their own messages would show a pre-signed URL's signature); getting a token,
 * or a token refused twice, fail as they do for any request.
 *
 * @since 0.1.0
 * @category models
 */
export type Error = ChecksumMismatch | DownloadError | AuthError.AuthError | AuthenticatedHttpClient.UnauthorizedError

/**
 * Downloads `url` to the destination, verifying it on the way. Through the
 * `AuthenticatedHttpClient` by default; with `authenticated: false`, through the plain
 * `HttpClient`.
 *
 * @example
 * ```ts
 * const { path } = yield* Download.toFile({
 *   url: file.file_url,
 *   dir: "/data",
 *   name: file.file_name,
 *   expected: { md5: file.md5_digest },
 *   authenticated: false,
 *   onProgress: ({ received, total }) => console.log(`${received} / ${total ?? "?"}`)
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const toFile: {
  (
    options: Options & { readonly authenticated: false }
  ): Effect.Effect<Result, ChecksumMismatch | DownloadError, HttpClient.HttpClient | FileSystem.FileSystem>
  (
    options: Options
  ): Effect.Effect<Result, Error, AuthenticatedHttpClient.AuthenticatedHttpClient | FileSystem.FileSystem>
} = internal.toFile
