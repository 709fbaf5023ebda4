import { assert, describe, it } from "@effect/vitest"
import { NodeBrowser } from "@toshi/node"
import * as Effect from "effect/Effect"
import { EventEmitter } from "node:events"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { tempDir } from "./utils.js"

interface Call {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly options: Parameters<NodeBrowser.Spawn>[2]
}

/** A spawn that records its calls and reports the process started (or failed to, with `error`). */
const recordingSpawn = (error?: NodeJS.ErrnoException) => {
  const calls: Array<Call> = []
  const spawn: NodeBrowser.Spawn = (command, args, options) => {
    calls.push({ command, args, options })
    const child = Object.assign(new EventEmitter(), { unref: () => {} })
    setImmediate(() => (error === undefined ? child.emit("spawn") : child.emit("error", error)))
    return child
  }
  return { calls, spawn }
}

const available = (env: Record<string, string>, platform: NodeJS.Platform = "linux") =>
  NodeBrowser.make({ env, platform, spawn: recordingSpawn().spawn }).available

describe("NodeBrowser", () => {
  describe("available", () => {
    it.effect("is true on a Linux desktop (DISPLAY or WAYLAND_DISPLAY)", () =>
      Effect.gen(function*() {
        assert.isTrue(yield* available({ DISPLAY: ":0" }))
        assert.isTrue(yield* available({ WAYLAND_DISPLAY: "wayland-0" }))
      }))

    it.effect("is false on Linux without a display", () =>
      Effect.gen(function*() {
        assert.isFalse(yield* available({}))
        assert.isFalse(yield* available({ DISPLAY: "" }))
      }))

    it.effect("is false in CI and over SSH, even with a display", () =>
      Effect.gen(function*() {
        assert.isFalse(yield* available({ DISPLAY: ":0", CI: "true" }))
        assert.isFalse(yield* available({ DISPLAY: ":0", SSH_CONNECTION: "10.0.0.1 5000 10.0.0.2 22" }))
        assert.isFalse(yield* available({ SSH_TTY: "/dev/pts/1" }, "darwin"))
        assert.isTrue(yield* available({ DISPLAY: ":0", CI: "false" }))
      }))

    it.effect("is false with BROWSER=none or TOSHI_NO_BROWSER=1", () =>
      Effect.gen(function*() {
        assert.isFalse(yield* available({ DISPLAY: ":0", BROWSER: "none" }))
        assert.isFalse(yield* available({ BROWSER: "none" }, "darwin"))
        assert.isFalse(yield* available({ DISPLAY: ":0", TOSHI_NO_BROWSER: "1" }))
      }))

    it.effect("is true on macOS and Windows without a display variable", () =>
      Effect.gen(function*() {
        assert.isTrue(yield* available({}, "darwin"))
        assert.isTrue(yield* available({}, "win32"))
      }))

    it.effect("an explicit BROWSER is trusted over SSH (an editor's remote session) but not in CI", () =>
      Effect.gen(function*() {
        assert.isTrue(yield* available({ SSH_CONNECTION: "a b c d", BROWSER: "/opt/editor/browser.sh" }))
        assert.isFalse(yield* available({ CI: "1", BROWSER: "/opt/editor/browser.sh" }))
      }))
  })

  describe("open", () => {
    const tricky = "https://idp.example.com/authorize?client_id=a b&redirect_uri=x;rm -rf ~&state=$(id)`id`|cat"

    it.effect("runs xdg-open on Linux with the URL as one argument, detached", () =>
      Effect.gen(function*() {
        const { calls, spawn } = recordingSpawn()
        assert.isTrue(yield* NodeBrowser.make({ env: {}, platform: "linux", spawn }).open(tricky))
        assert.strictEqual(calls.length, 1)
        assert.strictEqual(calls[0]!.command, "xdg-open")
        assert.deepStrictEqual(calls[0]!.args, [new URL(tricky).href])
        assert.isTrue(calls[0]!.options.detached)
        assert.strictEqual(calls[0]!.options.stdio, "ignore")
      }))

    it.effect("runs open on macOS and start through cmd on Windows", () =>
      Effect.gen(function*() {
        const mac = recordingSpawn()
        yield* NodeBrowser.make({ env: {}, platform: "darwin", spawn: mac.spawn }).open(tricky)
        assert.deepStrictEqual(mac.calls.map((c) => [c.command, c.args]), [["open", [new URL(tricky).href]]])
        const windows = recordingSpawn()
        yield* NodeBrowser.make({ env: {}, platform: "win32", spawn: windows.spawn }).open(tricky)
        const call = windows.calls[0]!
        assert.strictEqual(call.command, "cmd")
        assert.deepStrictEqual(call.args, ["/d", "/s", "/c", `start "" "${new URL(tricky).href}"`])
        assert.isTrue(call.options.windowsVerbatimArguments)
        // Inside the quotes cmd takes & | < > literally; a quote of its own would end them.
        assert.notInclude(new URL(tricky).href, "\"")
      }))

    it.effect("uses $BROWSER with its arguments, %s standing for the URL", () =>
      Effect.gen(function*() {
        const plain = recordingSpawn()
        yield* NodeBrowser.make({ env: { BROWSER: "firefox" }, platform: "linux", spawn: plain.spawn }).open("https://a.example/x")
        assert.deepStrictEqual(plain.calls.map((c) => [c.command, c.args]), [["firefox", ["https://a.example/x"]]])
        const withArgs = recordingSpawn()
        yield* NodeBrowser.make({ env: { BROWSER: "chromium --new-window %s:firefox" }, platform: "linux", spawn: withArgs.spawn })
          .open("https://a.example/x")
        assert.deepStrictEqual(withArgs.calls.map((c) => [c.command, c.args]), [["chromium", ["--new-window", "https://a.example/x"]]])
      }))

    it.effect("is false when the opener cannot be started, and never fails", () =>
      Effect.gen(function*() {
        const missing = Object.assign(new Error("spawn xdg-open ENOENT"), { code: "ENOENT" })
        const { spawn } = recordingSpawn(missing)
        assert.isFalse(yield* NodeBrowser.make({ env: {}, platform: "linux", spawn }).open("https://a.example/"))
        const throwing: NodeBrowser.Spawn = () => {
          throw new TypeError("bad arguments")
        }
        assert.isFalse(yield* NodeBrowser.make({ env: {}, platform: "linux", spawn: throwing }).open("https://a.example/"))
      }))

    it.effect("refuses what is not an http or https URL without starting anything", () =>
      Effect.gen(function*() {
        const { calls, spawn } = recordingSpawn()
        const browser = NodeBrowser.make({ env: {}, platform: "linux", spawn })
        assert.isFalse(yield* browser.open("file:///etc/passwd"))
        assert.isFalse(yield* browser.open("--help"))
        assert.isFalse(yield* browser.open("javascript:alert(1)"))
        assert.strictEqual(calls.length, 0)
      }))

    it.live("with the real spawn: false for an opener that does not exist (ENOENT)", () =>
      Effect.gen(function*() {
        const browser = NodeBrowser.make({ env: { BROWSER: "/nonexistent/toshi-no-such-opener" }, platform: "linux" })
        assert.isFalse(yield* browser.open("https://a.example/"))
      }))

    it.scopedLive("with the real spawn: the opener receives the URL as a single argument", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const out = Path.join(dir, "argv.json")
        const opener = Path.join(dir, "opener.cjs")
        Fs.writeFileSync(
          opener,
          `#!${process.execPath}\nconst fs = require("node:fs")\n` +
            `fs.writeFileSync(${JSON.stringify(`${out}.tmp`)}, JSON.stringify(process.argv.slice(2)))\n` +
            `fs.renameSync(${JSON.stringify(`${out}.tmp`)}, ${JSON.stringify(out)})\n`,
          { mode: 0o755 }
        )
        const browser = NodeBrowser.make({ env: { BROWSER: opener }, platform: "linux" })
        assert.isTrue(yield* browser.open(tricky))
        const argv = yield* Effect.promise(async () => {
          for (let i = 0; i < 200 && !Fs.existsSync(out); i++) await new Promise((r) => setTimeout(r, 10))
          return JSON.parse(Fs.readFileSync(out, "utf8")) as Array<string>
        })
        assert.deepStrictEqual(argv, [new URL(tricky).href])
      }))
  })
})
