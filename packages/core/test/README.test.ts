import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { callApi, makeTokenManagerLive } from "./readme/TokenManagerLive.js"

const root = fileURLToPath(new URL("../../../", import.meta.url))
const readme = readFileSync(`${root}README.md`, "utf8")

describe("README", () => {
  it("shows every marked example exactly as the file that the type-check compiles", () => {
    const examples = [...readme.matchAll(/<!-- example: (\S+) -->\s*```ts\n([\s\S]*?)```/g)]
    assert.deepStrictEqual(examples.map((m) => m[1]), [
      "packages/core/test/readme/TokenManagerLive.ts",
      "packages/node/test/readme/DetectedTokenManager.ts",
      "packages/stores/test/readme/RedisTokenStore.ts"
    ])
    for (const [, file, code] of examples) assert.strictEqual(code, readFileSync(`${root}${file}`, "utf8"), file)
  })

  it.effect("the example's layer hands out headers from one token request", () =>
    Effect.gen(function*() {
      let requests = 0
      const live = makeTokenManagerLive(async () => {
        requests++
        return { access_token: `token-${requests}`, expires_in: 3600 }
      })
      const results = yield* Effect.all([callApi, callApi, callApi], { concurrency: "unbounded" }).pipe(
        Effect.provide(live)
      )
      assert.deepStrictEqual(results.map((h) => h["authorization"]), ["Bearer token-1", "Bearer token-1", "Bearer token-1"])
      assert.strictEqual(requests, 1)
    }))
})
