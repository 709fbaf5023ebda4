import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { NodeContext } from "@effect/platform-node"
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { TokenSet } from "@toshi/core"
import { FileTokenStore } from "@toshi/stores"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { bundleFixture } from "./bundle.js"

let writer = ""
beforeAll(async () => {
  writer = await bundleFixture("save-loop.mjs")
})

/** Starts the save loop, waits for its first save, lets it run a random while, and kills it. */
const killMidWrite = (file: string, maxDelayMs: number) =>
  new Promise<{ signal: NodeJS.Signals | null; pid: number }>((resolve, reject) => {
    const child = spawn(process.execPath, [writer, file], { stdio: ["ignore", "pipe", "pipe"] })
    let stderr = ""
    child.stderr.on("data", (chunk) => (stderr += chunk))
    let stdout = ""
    const onData = (chunk: Buffer) => {
      stdout += chunk
      // Only "ready" counts: the writer also logs, e.g. when it takes over a lock a killed writer left.
      if (/^ready$/m.test(stdout)) {
        child.stdout.off("data", onData)
        setTimeout(() => child.kill("SIGKILL"), Math.random() * maxDelayMs)
      }
    }
    child.stdout.on("data", onData)
    child.on("close", (code, signal) =>
      signal === "SIGKILL" ? resolve({ signal, pid: child.pid! }) : reject(new Error(`writer ended with ${code}: ${stderr}`)))
  })

const run = <A, E>(effect: Effect.Effect<A, E, NodeContext.NodeContext>) =>
  Effect.runPromise(Effect.provide(effect, NodeContext.layer))

describe("a writer killed with SIGKILL", () => {
  it("100 times, at random moments in a save loop: the file always decodes to valid token sets, and nothing blocks the next run", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-crash-"))
    const file = path.join(dir, "tokens.json")
    let killedWithLockHeld = 0
    for (let round = 0; round < 100; round++) {
      const { pid } = await killMidWrite(file, 40)
      const text = fs.readFileSync(file, "utf8")
      const parsed = JSON.parse(text)
      assert.strictEqual(parsed.format, "toshi-token-store")
      const loaded = await run(Effect.flatMap(FileTokenStore.make(file), (store) =>
        Effect.forEach(Object.keys(parsed.tokens), (key) => store.load(key))))
      assert.isAbove(loaded.length, 0)
      for (const tokens of loaded) assert.match(Redacted.value(Option.getOrThrow(tokens).accessToken), /^access-\d+-x+$/)
      if (fs.existsSync(`${file}.lock`)) {
        killedWithLockHeld++
        const holder = fs.readFileSync(`${file}.lock`, "utf8")
        // Killed between creating the lock file and writing its content, it is empty.
        if (holder !== "") assert.strictEqual(JSON.parse(holder).pid, pid)
      }
    }
    // A lock the last writer left behind is taken over at once by the next one.
    const started = Date.now()
    await run(Effect.flatMap(FileTokenStore.make(file, { lockTimeout: "10 seconds" }), (store) =>
      store.save("after", TokenSet.make({ accessToken: Redacted.make("after"), expiresAt: DateTime.unsafeMake(Date.now() + 60_000) }))))
    assert.isBelow(Date.now() - started, 7_000)
    assert.isFalse(fs.existsSync(`${file}.lock`))
    // Temporary files that killed writers left are cleared by the next writer.
    assert.deepStrictEqual(fs.readdirSync(dir), ["tokens.json"])
    console.log(`killed while holding the lock: ${killedWithLockHeld} of 100`)
  }, 240_000)
})
