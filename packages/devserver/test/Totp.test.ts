import { assert, describe, it } from "@effect/vitest"
import { totp } from "@toshi/devserver"

// RFC 6238 appendix B: the SHA-1 seed is the ASCII "12345678901234567890", here in base32.
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"

describe("totp", () => {
  it("matches the RFC 6238 SHA-1 test vectors (last 6 of the 8 digits)", () => {
    const vectors: Array<[seconds: number, code: string]> = [
      [59, "287082"],
      [1111111109, "081804"],
      [1111111111, "050471"],
      [1234567890, "005924"],
      [2000000000, "279037"],
      [20000000000, "353130"]
    ]
    for (const [seconds, code] of vectors) {
      assert.strictEqual(totp(RFC_SECRET, seconds * 1000), code, `at ${seconds} s`)
    }
  })

  it("changes every 30 seconds and stays fixed within a step", () => {
    assert.strictEqual(totp(RFC_SECRET, 30_000), totp(RFC_SECRET, 59_999))
    assert.notStrictEqual(totp(RFC_SECRET, 59_999), totp(RFC_SECRET, 60_000))
  })

  it("accepts lower case and padding in the secret, and rejects a secret that is not base32", () => {
    assert.strictEqual(totp(`${RFC_SECRET.toLowerCase()}====`, 59_000), "287082")
    assert.throws(() => totp("not base32!", 0), /base32/)
  })
})
