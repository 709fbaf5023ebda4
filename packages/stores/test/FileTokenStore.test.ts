import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { NodeContext } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenSet, TokenStore } from "@toshi/core"
import { FileTokenStore } from "@toshi/stores"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import { bundleFixture } from "./bundle.js"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "toshi-store-"))

const tokens = (name: string, expiresInMs = 3_600_000) =>
  TokenSet.make({
    accessToken: Redacted.make(`access-${name}`),
    refreshToken: Redacted.make(`refresh-${name}`),
    expiresAt: DateTime.unsafeMake(Date.now() + expiresInMs),
    scope: ["read"]
  })

const access = (set: Option.Option<TokenSet.TokenSet>) => Redacted.value(Option.getOrThrow(set).accessToken)

/** Runs with the real Node file system, collecting log lines. */
const run = <A, E>(effect: Effect.Effect<A, E, NodeContext.NodeContext>, logs: Array<string> = []) =>
  Effect.runPromise(
    effect.pipe(
      Effect.provide(NodeContext.layer),
      Effect.provide(Logger.replace(Logger.defaultLogger, Logger.map(Logger.logfmtLogger, (line) => void logs.push(line))))
    )
  )

const mode = (file: string) => fs.statSync(file).mode & 0o777

describe("FileTokenStore", () => {
  it("keeps many keys in one file, and removes the file when the last is cleared", async () => {
    const file = path.join(tempDir(), "tokens.json")
    await run(Effect.gen(function*() {
      const store = yield* FileTokenStore.make(file)
      assert.isTrue(Option.isNone(yield* store.load("a")))
      yield* store.save("a", tokens("a"))
      yield* store.save("b", tokens("b"))
      assert.strictEqual(access(yield* store.load("a")), "access-a")
      assert.strictEqual(access(yield* store.load("b")), "access-b")
      const onDisk = JSON.parse(fs.readFileSync(file, "utf8"))
      assert.strictEqual(onDisk.format, "toshi-token-store")
      assert.strictEqual(onDisk.version, 1)
      assert.deepStrictEqual(Object.keys(onDisk.tokens), ["a", "b"])
      yield* store.clear("a")
      assert.isTrue(Option.isNone(yield* store.load("a")))
      assert.strictEqual(access(yield* store.load("b")), "access-b")
      yield* store.clear("b")
      assert.isFalse(fs.existsSync(file))
      yield* store.clear("b")
    }))
  })

  it("creates the file 0600 in a 0700 directory, and leaves no temporary or lock file behind", async () => {
    const root = tempDir()
    const file = path.join(root, "nested", "deeper", "tokens.json")
    await run(Effect.flatMap(FileTokenStore.make(file), (store) => store.save("a", tokens("a"))))
    assert.strictEqual(mode(file), 0o600)
    assert.strictEqual(mode(path.dirname(file)), 0o700)
    assert.strictEqual(mode(path.join(root, "nested")), 0o700)
    assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ["tokens.json"])
  })

  it("warns when an existing file can be read by other users", async () => {
    const file = path.join(tempDir(), "tokens.json")
    await run(Effect.flatMap(FileTokenStore.make(file), (store) => store.save("a", tokens("a"))))
    fs.chmodSync(file, 0o644)
    const logs: Array<string> = []
    await run(Effect.flatMap(FileTokenStore.make(file), (store) => store.load("a")), logs)
    assert.isTrue(logs.some((line) => line.includes("can be read by other users") && line.includes("chmod 600")), logs.join("\n"))
  })

  const damaged: Array<[string, string, RegExp]> = [
    ["empty", "", /is empty/],
    ["whitespace", "  \n", /is empty/],
    ["truncated", "{\"format\":\"toshi-token-store\",\"version\":1,\"tokens\":{\"a\":{\"accessT", /not valid JSON/],
    ["not JSON", "access_token=abc", /not valid JSON/],
    ["foreign JSON", "{\"hello\":\"world\"}", /not a toshi token file/],
    ["a JSON array", "[1,2,3]", /not a toshi token file/],
    ["a newer version", "{\"format\":\"toshi-token-store\",\"version\":9,\"tokens\":{}}", /newer than this toshi reads/]
  ]
  for (const [name, content, message] of damaged) {
    it(`a file that is ${name} is a Corrupt TokenStoreError naming the path, and is never overwritten`, async () => {
      const file = path.join(tempDir(), "tokens.json")
      fs.writeFileSync(file, content, { mode: 0o600 })
      const [loadError, saveError, clearError] = await run(Effect.gen(function*() {
        const store = yield* FileTokenStore.make(file)
        return [
          yield* Effect.flip(store.load("a")),
          yield* Effect.flip(store.save("a", tokens("a"))),
          yield* Effect.flip(store.clear("a"))
        ] as const
      }))
      for (const error of [loadError, saveError, clearError]) {
        assert.strictEqual(error._tag, "TokenStoreError")
        assert.strictEqual(error.reason, "Corrupt")
        assert.strictEqual(error.path, file)
        assert.include(error.message, file)
      }
      assert.match(loadError.message, message)
      assert.strictEqual(fs.readFileSync(file, "utf8"), content)
      assert.deepStrictEqual(fs.readdirSync(path.dirname(file)), ["tokens.json"])
    })
  }

  it("a malformed entry fails its own key only; a new login replaces it and keeps the others", async () => {
    const file = path.join(tempDir(), "tokens.json")
    const good = TokenSet.encode(tokens("b"))
    fs.writeFileSync(file, JSON.stringify({ format: "toshi-token-store", version: 1, tokens: { a: { accessToken: 1 }, b: good } }))
    await run(Effect.gen(function*() {
      const store = yield* FileTokenStore.make(file)
      const error = yield* Effect.flip(store.load("a"))
      assert.strictEqual(error.reason, "Corrupt")
      assert.include(error.message, `entry for "a"`)
      assert.strictEqual(access(yield* store.load("b")), "access-b")
      yield* store.save("a", tokens("a2"))
      assert.strictEqual(access(yield* store.load("a")), "access-a2")
      assert.strictEqual(access(yield* store.load("b")), "access-b")
    }))
  })

  it("concurrent writers of different keys lose nothing", async () => {
    const file = path.join(tempDir(), "tokens.json")
    await run(Effect.gen(function*() {
      const stores = yield* Effect.all([FileTokenStore.make(file), FileTokenStore.make(file), FileTokenStore.make(file)])
      yield* Effect.all(
        Array.from({ length: 30 }, (_, i) => stores[i % 3]!.save(`key-${i}`, tokens(String(i)))),
        { concurrency: "unbounded" }
      )
      const onDisk = JSON.parse(fs.readFileSync(file, "utf8"))
      assert.strictEqual(Object.keys(onDisk.tokens).length, 30)
    }))
  })

  it("a lock left by a process that died is taken over at once", async () => {
    const file = path.join(tempDir(), "tokens.json")
    const dead = spawnSync(process.execPath, ["-e", "process.pid"])
    assert.strictEqual(dead.status, 0)
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: dead.pid, owner: "gone", createdAt: Date.now() }))
    const logs: Array<string> = []
    const started = Date.now()
    await run(Effect.flatMap(FileTokenStore.make(file, { lockTimeout: "20 seconds" }), (store) => store.save("a", tokens("a"))), logs)
    assert.isBelow(Date.now() - started, 5_000)
    assert.isTrue(logs.some((line) => line.includes("taking over the stale lock") && line.includes(`pid ${dead.pid}`)))
    assert.isFalse(fs.existsSync(`${file}.lock`))
  })

  it("a lock held by a live process makes waiters fail with LockTimeout after the bound, naming the holder", async () => {
    const file = path.join(tempDir(), "tokens.json")
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, owner: "someone", createdAt: Date.now() }))
    const error = await run(
      Effect.flatMap(FileTokenStore.make(file, { lockTimeout: "300 millis" }), (store) => Effect.flip(store.save("a", tokens("a"))))
    )
    assert.strictEqual(error.reason, "LockTimeout")
    assert.include(error.message, `pid ${process.pid}`)
    assert.isFalse(fs.existsSync(file))
    // The other process's lock is left alone.
    assert.isTrue(fs.existsSync(`${file}.lock`))
  })

  it("a lock older than the stale bound is taken over even when its owner is alive", async () => {
    const file = path.join(tempDir(), "tokens.json")
    fs.writeFileSync(`${file}.lock`, JSON.stringify({ pid: process.pid, owner: "hung", createdAt: Date.now() - 60_000 }))
    await run(
      Effect.flatMap(
        FileTokenStore.make(file, { lockTimeout: "5 seconds", staleLockAfter: "30 seconds" }),
        (store) => store.save("a", tokens("a"))
      )
    )
    assert.isTrue(fs.existsSync(file))
    assert.isFalse(fs.existsSync(`${file}.lock`))
  })

  it("a directory it may not write to is a Permission error, and nothing is left behind", async () => {
    const root = tempDir()
    const dir = path.join(root, "readonly")
    fs.mkdirSync(dir, { mode: 0o755 })
    const file = path.join(dir, "tokens.json")
    if (process.getuid?.() === 0) {
      // Root writes anywhere: ask an unprivileged user to try, in a process of its own.
      fs.chmodSync(root, 0o755)
      // Bundled into a directory anyone can read: the checkout itself may not be open to that user.
      const script = await bundleFixture("save-once.mjs")
      fs.chmodSync(path.dirname(script), 0o755)
      fs.chmodSync(script, 0o644)
      const result = spawnSync(process.execPath, [script, file], { uid: 65534, gid: 65534, encoding: "utf8" })
      assert.strictEqual(result.status, 3, result.stdout + result.stderr)
      const error = JSON.parse(result.stdout)
      assert.strictEqual(error._tag, "TokenStoreError")
      assert.strictEqual(error.reason, "Permission")
      assert.include(error.message, file)
      assert.include(error.message, "(EACCES: permission denied)")
      assert.include(error.message, "Check that this user may read and write the file and its directory")
    } else {
      fs.chmodSync(dir, 0o555)
      const error = await run(Effect.flatMap(FileTokenStore.make(file), (store) => Effect.flip(store.save("a", tokens("a")))))
      assert.strictEqual(error.reason, "Permission")
      assert.include(error.message, "(EACCES: permission denied)")
      assert.include(error.message, "Check that this user may read and write the file and its directory")
    }
    assert.deepStrictEqual(fs.readdirSync(dir), [])
  })

  it("a path it cannot write to is an Io error in the system's own words, saying what to check", async () => {
    const root = tempDir()
    // A file where the store's directory should be.
    const blocker = path.join(root, "not-a-directory")
    fs.writeFileSync(blocker, "keep me")
    const file = path.join(blocker, "tokens.json")
    const error = await run(Effect.flatMap(FileTokenStore.make(file), (store) => Effect.flip(store.save("a", tokens("a")))))
    assert.strictEqual(error.reason, "Io")
    assert.strictEqual(error.path, file)
    // The system's code and words (Node 20 says EEXIST: file already exists).
    assert.include(error.message, `could not create the directory ${blocker} (`)
    assert.match(error.message, /\((EEXIST|ENOTDIR): [a-z ]+\)\. /)
    assert.include(error.message, "Check the path and the file system it is on")
    assert.strictEqual(fs.readFileSync(blocker, "utf8"), "keep me")
  })

  it("two token managers over one file: the second uses the first one's token", async () => {
    const file = path.join(tempDir(), "tokens.json")
    let requests = 0
    const provider = AuthProvider.make({
      key: "shared",
      acquire: Effect.sync(() => tokens(`n${++requests}`))
    })
    const manager = Effect.flatMap(FileTokenStore.make(file), (store) =>
      TokenManager.make().pipe(
        Effect.provideService(AuthProvider.AuthProvider, provider),
        Effect.provideService(TokenStore.TokenStore, store),
        Effect.provideService(RefreshPolicy.RefreshPolicy, RefreshPolicy.raise),
        Effect.provideService(RefreshHooks.RefreshHooks, RefreshHooks.make({}))
      ))
    const [first, second] = await run(Effect.scoped(Effect.gen(function*() {
      const a = yield* manager
      const b = yield* manager
      return [yield* a.token, yield* b.token] as const
    })))
    assert.strictEqual(Redacted.value(first.accessToken), Redacted.value(second.accessToken))
    assert.strictEqual(requests, 1)
  })
})
