import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { callApi, makeTokenManagerLive } from "./readme/TokenManagerLive.js"

const readme = readFileSync(fileURLToPath(new URL("../../../README.md", import.meta.url)), "utf8")
const example = readFileSync(fileURLToPath(new URL("./readme/TokenManagerLive.ts", import.meta.url)), "utf8")

describe("README", () => {
  it("shows the TokenManagerLive example exactly as it is compiled here", () => {
    const block = /<!-- example: packages\/core\/test\/readme\/TokenManagerLive\.ts -->\s*```ts\n([\s\S]*?)```/.exec(readme)
    assert.isNotNull(block, "the README has no marked TokenManagerLive example")
    assert.strictEqual(block![1], example)
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
