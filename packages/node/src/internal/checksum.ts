import { crc32c } from "@node-rs/crc32"
import * as Crypto from "node:crypto"

/** @internal */
export type Algorithm = "crc32c" | "sha256" | "md5"

/** Digests are checked and reported in this order, whatever order they were given in. */
export const algorithms: ReadonlyArray<Algorithm> = ["crc32c", "md5", "sha256"]

const digestLength: Record<Algorithm, number> = { crc32c: 4, md5: 16, sha256: 32 }

/** @internal */
export interface Hasher {
  readonly update: (chunk: Uint8Array) => void
  readonly digest: () => Uint8Array
}

/** @internal */
export const makeHasher = (algorithm: Algorithm): Hasher => {
  if (algorithm === "crc32c") {
    // Hardware CRC32C (SSE 4.2 / ARMv8 CRC) from a prebuilt binary: a pure-JS table runs at about
    // 40 MB/s here, which would make checking a large download slower than downloading it.
    let crc = 0
    return {
      update: (chunk) => {
        crc = crc32c(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), crc)
      },
      digest: () => {
        // Cloud storage reports CRC32C as the big-endian bytes of the 32-bit value, in base64.
        const bytes = new Uint8Array(4)
        new DataView(bytes.buffer).setUint32(0, crc >>> 0, false)
        return bytes
      }
    }
  }
  const hash = Crypto.createHash(algorithm)
  return { update: (chunk) => void hash.update(chunk), digest: () => new Uint8Array(hash.digest()) }
}

/** @internal */
export type Encoding = "hex" | "base64"

/** @internal */
export interface ExpectedDigest {
  readonly bytes: Uint8Array
  /** How it was written, so that the actual digest can be shown the same way. */
  readonly encoding: Encoding
}

/**
 * A digest written in hex or in base64 (standard or URL-safe, padded or not). The two cannot be
 * confused: for the lengths of these digests, the hex text is always longer than the base64 one.
 */
export const decodeDigest = (algorithm: Algorithm, text: string): ExpectedDigest | undefined => {
  const value = text.trim()
  const length = digestLength[algorithm]
  if (value.length === length * 2 && /^[0-9a-f]+$/i.test(value)) {
    return { bytes: new Uint8Array(Buffer.from(value, "hex")), encoding: "hex" }
  }
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    const bytes = Buffer.from(value.replace(/-/g, "+").replace(/_/g, "/"), "base64")
    if (bytes.length === length) return { bytes: new Uint8Array(bytes), encoding: "base64" }
  }
  return undefined
}

/** @internal */
export const encodeDigest = (bytes: Uint8Array, encoding: Encoding): string => Buffer.from(bytes).toString(encoding)

/** @internal */
export const sameDigest = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && Buffer.from(a).equals(b)

/**
 * The digests of an `x-goog-hash` header: `crc32c=n03x6A==,md5=Ojk9c3dhfxgoKVVHYwFbHQ==`, possibly
 * sent as several headers (joined with commas). Unknown algorithms are ignored.
 */
export const parseGoogHash = (header: string): Partial<Record<Algorithm, string>> => {
  const digests: Partial<Record<Algorithm, string>> = {}
  for (const part of header.split(",")) {
    const at = part.indexOf("=")
    if (at === -1) continue
    const name = part.slice(0, at).trim().toLowerCase()
    // Base64 padding is itself `=`: only the first one separates the name from the value.
    const value = part.slice(at + 1).trim()
    if (name === "crc32c" || name === "md5") digests[name] = value
  }
  return digests
}
