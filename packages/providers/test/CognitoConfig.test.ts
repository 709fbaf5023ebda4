import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { CognitoConfig } from "@toshi/providers"
import * as Config from "effect/Config"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const tempFile = (content: string | undefined) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-config-"))
  const file = path.join(dir, "auth_config.json")
  if (content !== undefined) fs.writeFileSync(file, content)
  return file
}

/** Runs with `environment` as the environment and the config file at `file` layered under it. */
const withConfig = <A, E>(
  effect: Effect.Effect<A, E>,
  environment: Record<string, string>,
  file: string
) =>
  Effect.provide(effect, CognitoConfig.layer({ path: file }).pipe(Layer.provide(NodeContext.layer))).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(environment))))
  )

describe("CognitoConfig", () => {
  it.effect("reads the file, lets the environment win per key, and defaults the region", () =>
    Effect.gen(function*() {
      const file = tempFile(JSON.stringify({
        user_pool_id: "ap-southeast-2_FILE",
        scientist_client_id: "file-client",
        cognito_domain: "https://toshi.auth.ap-southeast-2.amazoncognito.com",
        unrelated: 42
      }))
      const settings = yield* withConfig(CognitoConfig.config, { NZSHM22_TOSHI_COGNITO_SCIENTIST_CLIENT_ID: "env-client" }, file)
      assert.deepStrictEqual(settings.user_pool_id, Option.some("ap-southeast-2_FILE"))
      assert.deepStrictEqual(settings.scientist_client_id, Option.some("env-client"))
      assert.strictEqual(settings.region, "ap-southeast-2")
      assert.isTrue(Option.isNone(settings.identity_pool_id))
      // Any Config read in the app sees the merged view.
      const domain = yield* withConfig(Config.string("NZSHM22_TOSHI_COGNITO_DOMAIN"), {}, file)
      assert.strictEqual(domain, "https://toshi.auth.ap-southeast-2.amazoncognito.com")
    }))

  it.effect("require names every missing key, and a missing file is only missing keys", () =>
    Effect.gen(function*() {
      const file = tempFile(undefined)
      const error = yield* Effect.flip(withConfig(CognitoConfig.require(["user_pool_id", "identity_pool_id"]), {}, file))
      assert.strictEqual(error._tag, "ConfigIncompleteError")
      assert.deepStrictEqual(error.missing, ["user_pool_id", "identity_pool_id"])
      assert.include(error.message, "Cognito config missing required keys: user_pool_id, identity_pool_id")
      assert.include(error.message, "NZSHM22_TOSHI_COGNITO_IDENTITY_POOL_ID")
      // The file to edit is named: the usual place, or the one TOSHI_COGNITO_CONFIG names.
      assert.include(error.message, "~/.toshi/auth_config.json")
      const named = yield* Effect.flip(withConfig(CognitoConfig.require(["user_pool_id"]), { TOSHI_COGNITO_CONFIG: file }, file))
      assert.include(named.message, `(read from ${file} or the environment: NZSHM22_TOSHI_COGNITO_USER_POOL_ID)`)
      const ok = yield* withConfig(
        CognitoConfig.require(["user_pool_id"]),
        { NZSHM22_TOSHI_COGNITO_USER_POOL_ID: "p", NZSHM22_TOSHI_COGNITO_REGION: "us-west-2" },
        file
      )
      assert.deepStrictEqual(ok, { user_pool_id: "p", region: "us-west-2" })
    }))

  it.effect("a malformed file is a typed error naming the file and what is wrong", () =>
    Effect.gen(function*() {
      for (
        const [content, expected] of [
          ["{ not json", "not valid JSON"],
          ["[1, 2]", "must be a JSON object"],
          [JSON.stringify({ region: 7 }), "\"region\" must be a string"]
        ] as const
      ) {
        const file = tempFile(content)
        const error = yield* Effect.flip(withConfig(CognitoConfig.config, {}, file))
        assert.strictEqual(error._tag, "ConfigIncompleteError")
        assert.strictEqual((error as { reason?: string }).reason, "Malformed")
        assert.include(error.message, file)
        assert.include(error.message, expected)
        // Nothing was rewritten.
        assert.strictEqual(fs.readFileSync(file, "utf8"), content)
      }
    }))

  it.effect("TOSHI_COGNITO_CONFIG names the file; otherwise it is ~/.toshi/auth_config.json", () =>
    Effect.gen(function*() {
      const named = yield* CognitoConfig.path.pipe(
        Effect.provide(NodeContext.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["TOSHI_COGNITO_CONFIG", "/etc/toshi.json"], ["HOME", "/home/x"]])))
      )
      assert.strictEqual(named, "/etc/toshi.json")
      const fallback = yield* CognitoConfig.path.pipe(
        Effect.provide(NodeContext.layer),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["HOME", "/home/x"]])))
      )
      assert.strictEqual(fallback, "/home/x/.toshi/auth_config.json")
    }))
})
