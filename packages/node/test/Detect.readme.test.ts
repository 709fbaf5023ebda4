import { assert, describe, it } from "@effect/vitest"
import { Detect } from "@toshi/providers"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { TokenManagerLive, whoAmI } from "./readme/DetectedTokenManager.js"

/** A fresh HOME, with `~/.toshi/auth_config.json` when `authConfig` is given. */
const home = (authConfig?: object) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-home-"))
  if (authConfig !== undefined) {
    fs.mkdirSync(path.join(dir, ".toshi"), { mode: 0o700 })
    fs.writeFileSync(path.join(dir, ".toshi", "auth_config.json"), JSON.stringify(authConfig))
  }
  return dir
}

const withEnvironment = (environment: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(environment))))

describe("the README's detected TokenManagerLive", () => {
  it.live("serves an API key from the environment", () =>
    Effect.gen(function*() {
      const result = yield* whoAmI.pipe(Effect.provide(TokenManagerLive), withEnvironment({ HOME: home(), NZSHM22_TOSHI_API_KEY: "k-123" }))
      assert.deepStrictEqual(result, { source: "ApiKey", headers: { "x-api-key": "k-123" } })
    }))

  it.live("reads the M2M domain from ~/.toshi/auth_config.json when the environment has only the ARN", () =>
    Effect.gen(function*() {
      const arn = "arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:toshi/m2m-AbCdEf"
      const detected = yield* Detect.Detection.pipe(
        Effect.provide(TokenManagerLive),
        withEnvironment({ HOME: home({ cognito_domain: "https://toshi.auth.ap-southeast-2.amazoncognito.com" }), NZSHM22_TOSHI_M2M_SECRET_ARN: arn })
      )
      assert.strictEqual(detected.source, "M2M")
      assert.include(detected.description, "toshi.auth.ap-southeast-2.amazoncognito.com")
      const incomplete = yield* Effect.flip(
        Detect.Detection.pipe(Effect.provide(TokenManagerLive), withEnvironment({ HOME: home(), NZSHM22_TOSHI_M2M_SECRET_ARN: arn }))
      )
      assert.strictEqual(incomplete._tag, "ConfigIncompleteError")
    }))

  it.live("a malformed auth_config.json stops the layer with an error naming the file", () =>
    Effect.gen(function*() {
      const dir = home()
      fs.mkdirSync(path.join(dir, ".toshi"))
      fs.writeFileSync(path.join(dir, ".toshi", "auth_config.json"), "{")
      const error = yield* Effect.flip(whoAmI.pipe(Effect.provide(TokenManagerLive), withEnvironment({ HOME: dir, NZSHM22_TOSHI_API_KEY: "k" })))
      assert.strictEqual(error._tag, "ConfigIncompleteError")
      assert.include(error.message, path.join(dir, ".toshi", "auth_config.json"))
    }))
})
