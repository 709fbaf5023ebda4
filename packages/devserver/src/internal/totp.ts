import { createHmac, randomBytes, timingSafeEqual } from "node:crypto"

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
const STEP_SECONDS = 30
const DIGITS = 6

/** RFC 4648 base32 without padding: the encoding authenticator apps expect for TOTP secrets. */
export const base32Encode = (bytes: Uint8Array): string => {
  let bits = 0
  let value = 0
  let out = ""
  for (const byte of bytes) {
    value = (value << 8) | byte
    bits += 8
    while (bits >= 5) {
      out += ALPHABET[(value >>> (bits - 5)) & 31]
      bits -= 5
    }
  }
  if (bits > 0) {
    out += ALPHABET[(value << (5 - bits)) & 31]
  }
  return out
}

export const base32Decode = (text: string): Buffer => {
  const clean = text.replace(/[\s=-]/g, "").toUpperCase()
  const out: Array<number> = []
  let bits = 0
  let value = 0
  for (const char of clean) {
    const index = ALPHABET.indexOf(char)
    if (index === -1) {
      throw new TypeError("the TOTP secret is not base32")
    }
    value = (value << 5) | index
    bits += 5
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 255)
      bits -= 8
    }
  }
  return Buffer.from(out)
}

/** A fresh 160-bit secret, the size RFC 4226 recommends for HMAC-SHA1. */
export const generateSecret = (): string => base32Encode(randomBytes(20))

const codeAt = (key: Buffer, counter: number): string => {
  const message = Buffer.alloc(8)
  message.writeBigUInt64BE(BigInt(counter))
  const mac = createHmac("sha1", key).update(message).digest()
  const offset = mac[mac.length - 1]! & 0x0f
  const binary = mac.readUInt32BE(offset) & 0x7fffffff
  return (binary % 10 ** DIGITS).toString().padStart(DIGITS, "0")
}

export const totp = (secret: string, atMs: number = Date.now()): string =>
  codeAt(base32Decode(secret), Math.floor(atMs / 1000 / STEP_SECONDS))

/**
 * Accepts the code of the current step and of one step either side, as RFC 6238 section 5.2 allows
 * for clock drift and for a code typed just before its step ended.
 */
export const verifyTotp = (secret: string, code: string, atMs: number = Date.now()): boolean => {
  const key = base32Decode(secret)
  const counter = Math.floor(atMs / 1000 / STEP_SECONDS)
  const given = Buffer.from(code.trim())
  return [counter - 1, counter, counter + 1].some((step) => {
    const expected = Buffer.from(codeAt(key, step))
    return expected.length === given.length && timingSafeEqual(expected, given)
  })
}
