import { assert, describe, it } from "@effect/vitest"
import { ExitCode } from "@toshi/cli"
import { AuthError } from "@toshi/core"
import * as fs from "node:fs"

describe("ExitCode", () => {
  it("tells not-logged-in, refused, misconfigured, storage and unreachable apart", () => {
    const cases: Array<[AuthError.AuthError, ExitCode.ExitCode]> = [
      [new AuthError.NoCredentialsError({ reason: "NotLoggedIn", description: "" }), 3],
      [new AuthError.LoginFailedError({ reason: "InvalidCredentials", description: "" }), 4],
      [new AuthError.RefreshFailedError({ reason: "InvalidGrant", description: "" }), 4],
      [new AuthError.IdentityPoolError({ reason: "NotAuthorized", description: "" }), 4],
      [new AuthError.ConfigIncompleteError({ subject: "Cognito", missing: ["region"], reason: "MissingKeys" }), 5],
      [new AuthError.TokenStoreError({ reason: "Corrupt", description: "" }), 6],
      [new AuthError.RefreshFailedError({ reason: "Timeout", description: "" }), 7],
      [new AuthError.LoginFailedError({ reason: "ServerError", description: "" }), 7]
    ]
    for (const [error, code] of cases) assert.strictEqual(ExitCode.fromError(error), code, error.message)
  })

  it("every code has one documented meaning", () => {
    const codes = Object.values(ExitCode.ExitCode)
    assert.deepStrictEqual(ExitCode.meanings.map(([code]) => code), codes)
    assert.strictEqual(new Set(codes).size, codes.length)
  })

  it("the README's exit-code table is the one --help prints", () => {
    const readme = fs.readFileSync(new URL("../../../README.md", import.meta.url), "utf8")
    for (const [code, meaning] of ExitCode.meanings) assert.include(readme, `| ${code} | ${meaning} |`)
  })
})
