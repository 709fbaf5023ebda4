import * as FileSystem from "@effect/platform/FileSystem"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Path from "@effect/platform/Path"
import * as Terminal from "@effect/platform/Terminal"
import { assert, describe, it } from "@effect/vitest"
import { NodeAuth } from "@toshi/node"
import { Browser, RedirectReceiver } from "@toshi/providers"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { get, proxy, target, tempDir } from "./utils.js"

describe("NodeAuth", () => {
  it.scopedLive("provides the HTTP client, file system, paths, terminal, redirect receiver and browser", () =>
    Effect.gen(function*() {
      const server = yield* target()
      const via = yield* proxy
      const dir = yield* tempDir
      const context = yield* Layer.build(NodeAuth.layer({ proxy: { http: via.url, https: "", noProxy: "" } }))

      yield* Effect.gen(function*() {
        const body = yield* HttpClient.get(`${server.url}/api`).pipe(Effect.flatMap((r) => r.text), Effect.scoped)
        assert.strictEqual(body, "target says hello to /api")
        assert.strictEqual(via.count, 1)

        const path = yield* Path.Path
        const fs = yield* FileSystem.FileSystem
        const file = path.join(dir, "a", "..", "note.txt")
        yield* fs.writeFileString(file, "hello")
        assert.strictEqual(yield* fs.readFileString(path.join(dir, "note.txt")), "hello")

        const terminal = yield* Terminal.Terminal
        assert.isAtLeast(yield* terminal.columns, 0)

        const receiver = yield* RedirectReceiver.RedirectReceiver
        const { callback, redirectUri } = yield* receiver.listen()
        yield* get(`${redirectUri}?code=from-node-auth`)
        assert.strictEqual((yield* callback).get("code"), "from-node-auth")

        const browser = yield* Browser.Browser
        assert.isFalse(yield* browser.open("file:///etc/passwd"))
        assert.isBoolean(yield* browser.available)
      }).pipe(Effect.provide(context))
    }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))))

  it.scopedLive("fails to build, with a typed error, when the CA file is missing", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Layer.build(NodeAuth.layer({ caFile: "/nonexistent/ca.pem" })))
      assert.strictEqual(error._tag, "LoginFailedError")
      assert.strictEqual(error.reason, "InvalidConfig")
      assert.include(error.message, "/nonexistent/ca.pem")
    }))
})
