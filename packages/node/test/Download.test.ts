import { Crc32c } from "@aws-crypto/crc32c"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Download } from "@toshi/node"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Ref from "effect/Ref"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs"
import type * as Http from "node:http"
import * as Path from "node:path"
import { clientLayer, counting, deadUrl, serve } from "./loopback.js"
import { tempDir } from "./utils.js"

/** 1 MiB that is the same in every run. */
const megabyte = new Uint8Array(Crypto.createHash("sha512").update("toshi").digest().length * 16384)
for (let i = 0, seed = Crypto.createHash("sha512").update("toshi").digest(); i < megabyte.length; i += seed.length) {
  megabyte.set(seed, i)
  seed = Crypto.createHash("sha512").update(seed).digest()
}

const crc32c = (bytes: Uint8Array) => {
  const out = Buffer.alloc(4)
  out.writeUInt32BE(new Crc32c().update(bytes).digest())
  return out.toString("base64")
}
const digest = (algorithm: "md5" | "sha256", bytes: Uint8Array, encoding: "hex" | "base64") =>
  Crypto.createHash(algorithm).update(bytes).digest(encoding)

interface Behaviour {
  /** Flip one byte of the body; the hash headers still describe the real bytes. */
  corrupt: boolean
  /** Announce the whole length, send half, and drop the connection. */
  truncate: boolean
  /** Send half, then nothing more. */
  stall: boolean
  /** Which digests the response reports about itself. */
  reports: "x-goog-hash" | "content-md5" | "none"
  /** Answer only requests that carry this bearer token (`undefined`: a pre-signed URL, no token needed). */
  token: string | undefined
}

/**
 * Object storage on 127.0.0.1: `GET /<name>` serves `objects[name]` in 64 KiB writes, with its
 * `Content-Length` and its digests in `x-goog-hash` headers as Cloud Storage sends them.
 */
const storage = (objects: Record<string, Uint8Array>, overrides: Partial<Behaviour> = {}) => {
  const behaviour: Behaviour = { corrupt: false, truncate: false, stall: false, reports: "x-goog-hash", token: undefined, ...overrides }
  return Effect.map(
    serve((request, response: Http.ServerResponse) => {
      const name = decodeURIComponent(new URL(request.url, "http://x").pathname.slice(1))
      if (behaviour.token !== undefined && request.headers.authorization !== `Bearer ${behaviour.token}`) {
        return void response.writeHead(401).end()
      }
      const object = objects[name]
      if (object === undefined) {
        return void response.writeHead(403, { "content-type": "application/xml" })
          .end("<Error><Code>SignatureDoesNotMatch</Code><Message>The request signature we calculated does not match</Message></Error>")
      }
      const headers: Record<string, string | Array<string>> = {
        "content-type": "application/octet-stream",
        "content-length": String(object.length)
      }
      // Two header lines, as Cloud Storage sends them.
      if (behaviour.reports === "x-goog-hash") headers["x-goog-hash"] = [`crc32c=${crc32c(object)}`, `md5=${digest("md5", object, "base64")}`]
      if (behaviour.reports === "content-md5") headers["content-md5"] = digest("md5", object, "base64")
      response.writeHead(200, headers)
      const body = Buffer.from(object)
      if (behaviour.corrupt) body[Math.floor(body.length / 2)]! ^= 0xff
      const end = behaviour.truncate || behaviour.stall ? Math.floor(body.length / 2) : body.length
      for (let at = 0; at < end; at += 65536) response.write(body.subarray(at, Math.min(at + 65536, end)))
      // Once the first half has left, so that the client sees headers and a partial body.
      if (behaviour.truncate) setTimeout(() => response.socket?.destroy(), 50)
      else if (!behaviour.stall) response.end()
    }),
    (server) => ({ ...server, behaviour })
  )
}

const layer = (provider = counting().provider) => Layer.merge(clientLayer(provider), NodeFileSystem.layer)

/** The names in `dir`, temporary files included. */
const listing = (dir: string) => Fs.readdirSync(dir).sort()

describe("Download", () => {
  it.scopedLive("the body is streamed into place, verified against CRC32C, MD5 and SHA-256, with monotone progress", () =>
    Effect.gen(function*() {
      const server = yield* storage({ "data.bin": megabyte })
      const dir = yield* tempDir
      const progress = yield* Ref.make<Array<Download.Progress>>([])
      const result = yield* Download.toFile({
        url: `${server.url}/data.bin?X-Goog-Signature=abc`,
        dir,
        name: "data.bin",
        authenticated: false,
        expected: {
          crc32c: crc32c(megabyte),
          md5: digest("md5", megabyte, "hex"),
          sha256: digest("sha256", megabyte, "base64")
        },
        // An Effect returned by the callback is run, in order, before the next chunk.
        onProgress: (p) => Ref.update(progress, (all) => [...all, p])
      }).pipe(Effect.provide(layer()))

      const path = Path.join(dir, "data.bin")
      assert.deepStrictEqual(result, {
        path,
        size: megabyte.length,
        verified: {
          crc32c: crc32c(megabyte),
          md5: digest("md5", megabyte, "hex"),
          sha256: digest("sha256", megabyte, "base64")
        }
      })
      assert.isTrue(Buffer.from(megabyte).equals(Fs.readFileSync(path)))
      assert.strictEqual(Fs.statSync(path).mode & 0o777, 0o600)
      assert.deepStrictEqual(listing(dir), ["data.bin"])

      const seen = yield* Ref.get(progress)
      assert.isAbove(seen.length, 1, "one callback per chunk, and a 1 MiB body arrives in several")
      for (const [i, p] of seen.entries()) {
        assert.strictEqual(p.total, megabyte.length)
        if (i > 0) assert.isAbove(p.received, seen[i - 1]!.received)
      }
      assert.strictEqual(seen.at(-1)?.received, megabyte.length)
    }))

  it.scopedLive("a 64 MiB body goes to disk chunk by chunk while the server is still sending it", () =>
    Effect.gen(function*() {
      const repeats = 64
      let sent = 0
      // Served by repeating the same 1 MiB with backpressure: a client that read the body whole
      // before writing it would let the server finish first.
      const server = yield* serve((_, response) => {
        response.writeHead(200, { "content-length": String(megabyte.length * repeats) })
        const more = () => {
          while (sent < repeats) {
            sent++
            if (!response.write(megabyte)) return void response.once("drain", more)
          }
          response.end()
        }
        more()
      })
      const md5 = Crypto.createHash("md5")
      for (let i = 0; i < repeats; i++) md5.update(megabyte)
      const dir = yield* tempDir
      const samples: Array<{ received: number; onDisk: number; sent: number }> = []
      const result = yield* Download.toFile({
        url: `${server.url}/big.bin`,
        dir,
        name: "big.bin",
        authenticated: false,
        expected: { md5: md5.digest("hex") },
        onProgress: ({ received }) => {
          const [part] = listing(dir)
          samples.push({ received, onDisk: Fs.statSync(Path.join(dir, part!)).size, sent })
        }
      }).pipe(Effect.provide(layer()))
      assert.strictEqual(result.size, megabyte.length * repeats)
      assert.strictEqual(Fs.statSync(result.path).size, megabyte.length * repeats)
      // Every chunk is in the file by the time its progress is reported…
      assert.isTrue(samples.every((s) => s.onDisk === s.received))
      // …and the first ones were written while most of the body had not even been sent.
      assert.isBelow(samples[0]!.sent, repeats / 2)
    }))

  it.scopedLive("CRC32C is read as cloud storage writes it: base64 of the big-endian value (hex accepted)", () =>
    Effect.gen(function*() {
      // The check value of CRC-32C (RFC 3720, B.4): "123456789" → 0xE3069283.
      const server = yield* storage({ "check.txt": new TextEncoder().encode("123456789") }, { reports: "none" })
      const dir = yield* tempDir
      for (const [name, crc] of [["base64.txt", "4waSgw=="], ["hex.txt", "E3069283"]] as const) {
        const result = yield* Download.toFile({ url: `${server.url}/check.txt`, dir, name, authenticated: false, expected: { crc32c: crc } })
          .pipe(Effect.provide(layer()))
        assert.deepStrictEqual(result.verified, { crc32c: name === "hex.txt" ? "e3069283" : "4waSgw==" })
      }
      assert.deepStrictEqual(listing(dir), ["base64.txt", "hex.txt"])
    }))

  it.scopedLive("with no expected digest the response's x-goog-hash is checked: a corrupt byte fails and nothing is left", () =>
    Effect.gen(function*() {
      const server = yield* storage({ "data.bin": megabyte }, { corrupt: true })
      const dir = yield* tempDir
      const path = Path.join(dir, "data.bin")
      Fs.writeFileSync(path, "the previous version")
      const error = yield* Effect.flip(
        Download.toFile({ url: `${server.url}/data.bin?X-Goog-Signature=s3cr3t`, path, authenticated: false }).pipe(Effect.provide(layer()))
      )
      assert.strictEqual(error._tag, "ChecksumMismatch")
      if (error._tag !== "ChecksumMismatch") return
      // CRC32C is checked first; both it and MD5 come from the header, in base64.
      assert.strictEqual(error.algorithm, "crc32c")
      assert.strictEqual(error.expected, crc32c(megabyte))
      const corrupted = Buffer.from(megabyte)
      corrupted[Math.floor(corrupted.length / 2)]! ^= 0xff
      assert.strictEqual(error.actual, crc32c(corrupted))
      assert.strictEqual(error.source, "the x-goog-hash header")
      assert.include(error.message, `The download of ${server.url}/data.bin?… is corrupt`)
      assert.notInclude(error.message, "s3cr3t")
      assert.deepStrictEqual(listing(dir), ["data.bin"])
      assert.strictEqual(Fs.readFileSync(path, "utf8"), "the previous version")
    }))

  it.scopedLive("a Content-MD5 header is checked too, and an MD5 given in hex is reported in hex", () =>
    Effect.gen(function*() {
      const server = yield* storage({ "data.bin": megabyte }, { corrupt: true, reports: "content-md5" })
      const dir = yield* tempDir
      const fromHeader = yield* Effect.flip(
        Download.toFile({ url: `${server.url}/data.bin`, dir, name: "a.bin", authenticated: false }).pipe(Effect.provide(layer()))
      )
      assert.deepInclude(fromHeader, { _tag: "ChecksumMismatch", algorithm: "md5", source: "the Content-MD5 header" })
      const given = yield* Effect.flip(
        Download.toFile({
          url: `${server.url}/data.bin`,
          dir,
          name: "b.bin",
          authenticated: false,
          expected: { md5: digest("md5", megabyte, "hex") }
        }).pipe(Effect.provide(layer()))
      )
      assert.deepInclude(given, { _tag: "ChecksumMismatch", algorithm: "md5", source: "expected", expected: digest("md5", megabyte, "hex") })
      assert.match(given._tag === "ChecksumMismatch" ? given.actual : "", /^[0-9a-f]{32}$/)
      assert.deepStrictEqual(listing(dir), [])
    }))

  it.scopedLive("a pre-signed URL gets no credentials; by default the token is sent, and renewed after a 401", () =>
    Effect.gen(function*() {
      const presigned = yield* storage({ "a.bin": megabyte })
      const api = yield* storage({ "a.bin": megabyte }, { token: "token-2" })
      const dir = yield* tempDir
      const { provider, state } = counting()
      const verified = yield* Effect.gen(function*() {
        const fromPresigned = yield* Download.toFile({ url: `${presigned.url}/a.bin`, dir, name: "presigned.bin", authenticated: false })
        yield* Download.toFile({ url: `${api.url}/a.bin`, dir, name: "api.bin" })
        return fromPresigned.verified
      }).pipe(Effect.provide(layer(provider)))
      // Nothing expected was given: both digests of the two x-goog-hash lines were checked.
      assert.deepStrictEqual(verified, { crc32c: crc32c(megabyte), md5: digest("md5", megabyte, "base64") })
      assert.deepStrictEqual(presigned.seen.map((s) => s.headers.authorization), [undefined])
      assert.deepStrictEqual(api.seen.map((s) => s.headers.authorization), ["Bearer token-1", "Bearer token-2"])
      assert.strictEqual(state.acquired, 2)
      assert.deepStrictEqual(listing(dir), ["api.bin", "presigned.bin"])
      assert.isTrue(Buffer.from(megabyte).equals(Fs.readFileSync(Path.join(dir, "api.bin"))))
    }))

  it.scopedLive("an error status is a DownloadError with the status and the start of the body", () =>
    Effect.gen(function*() {
      const server = yield* storage({})
      const dir = yield* tempDir
      const error = yield* Effect.flip(
        Download.toFile({ url: `${server.url}/gone.bin?X-Goog-Signature=s3cr3t`, dir, name: "gone.bin", authenticated: false })
          .pipe(Effect.provide(layer()))
      )
      assert.deepInclude(error, { _tag: "DownloadError", reason: "StatusCode", status: 403 })
      assert.include(error.message, "the server answered with status 403 and \"<Error><Code>SignatureDoesNotMatch</Code>")
      assert.include(error.message, "a pre-signed URL may have expired")
      assert.notInclude(error.message, "s3cr3t")
      assert.deepStrictEqual(listing(dir), [])
    }))

  it.scopedLive("a body cut short is a DownloadError, and leaves no file behind", () =>
    Effect.gen(function*() {
      const server = yield* storage({ "data.bin": megabyte }, { truncate: true })
      const dir = yield* tempDir
      const error = yield* Effect.flip(
        Download.toFile({ url: `${server.url}/data.bin`, dir, name: "data.bin", authenticated: false }).pipe(Effect.provide(layer()))
      )
      assert.deepInclude(error, { _tag: "DownloadError", reason: "Truncated" })
      assert.match(error.message, /the connection broke after \d+ of 1048576 bytes/)
      assert.deepStrictEqual(listing(dir), [])
    }))

  it.scopedLive("a host that cannot be reached is a DownloadError whose message keeps the signature out", () =>
    Effect.gen(function*() {
      const dead = yield* deadUrl
      const dir = yield* tempDir
      const error = yield* Effect.flip(
        Download.toFile({ url: `${dead}/data.bin?X-Goog-Signature=s3cr3t`, dir, name: "data.bin", authenticated: false })
          .pipe(Effect.provide(layer()))
      )
      assert.deepInclude(error, { _tag: "DownloadError", reason: "Transport" })
      assert.include(error.message, `Download of ${dead}/data.bin?… to ${Path.join(dir, "data.bin")} failed (Transport)`)
      assert.include(error.message, "ECONNREFUSED")
      assert.notInclude(error.message, "s3cr3t")
      assert.deepStrictEqual(listing(dir), [])
    }))

  it.scopedLive("an interrupted download leaves no temporary file", () =>
    Effect.gen(function*() {
      const server = yield* storage({ "data.bin": megabyte }, { stall: true })
      const dir = yield* tempDir
      const started = yield* Ref.make(0)
      const fiber = yield* Download.toFile({
        url: `${server.url}/data.bin`,
        dir,
        name: "data.bin",
        authenticated: false,
        onProgress: ({ received }) => Ref.set(started, received)
      }).pipe(Effect.provide(layer()), Effect.fork)
      // Wait until half the body is on disk, in the temporary file.
      while ((yield* Ref.get(started)) < megabyte.length / 2) yield* Effect.sleep("5 millis")
      assert.match(listing(dir).join(), /^\.data\.bin\.[0-9a-f]{12}\.part$/)
      assert.strictEqual(Fs.statSync(Path.join(dir, listing(dir)[0]!)).mode & 0o777, 0o600)
      yield* Fiber.interrupt(fiber)
      assert.deepStrictEqual(listing(dir), [])
    }))

  it.scopedLive("a directory that does not exist is an Io DownloadError", () =>
    Effect.gen(function*() {
      const server = yield* storage({ "data.bin": megabyte })
      const dir = yield* tempDir
      const error = yield* Effect.flip(
        Download.toFile({ url: `${server.url}/data.bin`, dir: Path.join(dir, "missing"), name: "data.bin", authenticated: false })
          .pipe(Effect.provide(layer()))
      )
      assert.deepInclude(error, { _tag: "DownloadError", reason: "Io" })
      assert.include(error.message, "ENOENT")
      assert.include(error.message, "Check that the directory exists, is writable and has space.")
      assert.deepStrictEqual(listing(dir), [])
    }))

  it.scopedLive("a name that is not a plain file name, or an unreadable digest, is refused before any request", () =>
    Effect.gen(function*() {
      const server = yield* storage({ "data.bin": megabyte })
      const dir = yield* tempDir
      for (const name of ["../escape.bin", "a/b.bin", "..", ""]) {
        const error = yield* Effect.flip(
          Download.toFile({ url: `${server.url}/data.bin`, dir, name, authenticated: false }).pipe(Effect.provide(layer()))
        )
        assert.deepInclude(error, { _tag: "DownloadError", reason: "InvalidName" })
      }
      const badDigest = yield* Effect.flip(
        Download.toFile({ url: `${server.url}/data.bin`, dir, name: "x.bin", authenticated: false, expected: { sha256: "abc123" } })
          .pipe(Effect.provide(layer()))
      )
      assert.deepInclude(badDigest, { _tag: "DownloadError", reason: "InvalidChecksum" })
      assert.include(badDigest.message, "the expected sha256 \"abc123\" is neither hex nor base64 of the right length")
      assert.strictEqual(server.seen.length, 0)
      assert.deepStrictEqual(listing(dir), [])
      assert.isFalse(Fs.existsSync(Path.join(dir, "..", "escape.bin")))
    }))
})
