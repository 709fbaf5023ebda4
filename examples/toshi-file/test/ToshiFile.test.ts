import { NodeFileSystem, NodeHttpClient } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { AuthProvider, RefreshHooks, RefreshPolicy, TokenManager, TokenSet, TokenStore } from "@toshi/core"
import { AuthenticatedHttpClient, type Download } from "@toshi/node"
import { ApiKey } from "@toshi/providers"
import * as ConfigProvider from "effect/ConfigProvider"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as ToshiFile from "../src/ToshiFile.js"
import { start, type ToshiServer } from "./server.js"

/** Everything `ToshiFile` needs, with `provider` for credentials and `env` as the configuration. */
const run = <A, E>(
  effect: Effect.Effect<A, E, Layer.Layer.Success<ReturnType<typeof layer>>>,
  server: ToshiServer,
  provider: AuthProvider.AuthProviderService = ApiKey.make({ apiKey: Redacted.make("toshi-api-key") }),
  env: Record<string, string> = { TOSHI_ENV: "local", TOSHI_LOCAL_API_URL: server.graphqlUrl }
) =>
  effect.pipe(
    Effect.provide(layer(provider)),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

const layer = (provider: AuthProvider.AuthProviderService) =>
  Layer.mergeAll(
    AuthenticatedHttpClient.layer.pipe(
      Layer.provide(TokenManager.layer({ backgroundRefresh: false })),
      Layer.provide([
        AuthProvider.layer(provider),
        TokenStore.layerMemory,
        RefreshPolicy.layer(RefreshPolicy.raise),
        RefreshHooks.layerNoop
      ])
    ),
    NodeFileSystem.layer,
    ToshiFile.EnvironmentLayer
  ).pipe(Layer.provideMerge(NodeHttpClient.layerUndici))

/** A server that accepts the test's API key. */
const toshi = Effect.tap(start, (server) => Effect.sync(() => server.state.apiKeys.add("toshi-api-key")))

const tempDir = Effect.acquireRelease(
  Effect.sync(() => Fs.mkdtempSync(Path.join(Os.tmpdir(), "toshi-file-"))),
  (dir) => Effect.sync(() => Fs.rmSync(dir, { recursive: true, force: true }))
)

describe("ToshiFile", () => {
  it.scopedLive("getFile answers the file's metadata, asked for with the API key", () =>
    Effect.gen(function*() {
      const server = yield* toshi
      const [stored] = server.files
      const file = yield* run(ToshiFile.getFile(stored!.id), server)
      assert.deepStrictEqual(file, {
        __typename: "File",
        id: "RmlsZToxMDAw",
        file_name: stored!.file_name,
        file_size: stored!.bytes.length,
        md5_digest: stored!.md5_digest,
        meta: stored!.meta
      })
      assert.deepStrictEqual(server.seen.map((s) => [s.path, s.operation, s.apiKey]), [["/graphql", "file", "toshi-api-key"]])
    }))

  it.scopedLive("getFileDownloadUrl answers the pre-signed URL of the file's bytes", () =>
    Effect.gen(function*() {
      const server = yield* toshi
      const [stored] = server.files
      const download = yield* run(ToshiFile.getFileDownloadUrl(stored!.id), server)
      assert.strictEqual(download.file_name, stored!.file_name)
      const url = new URL(download.file_url)
      assert.strictEqual(url.origin, server.url)
      assert.match(url.searchParams.get("X-Amz-Signature") ?? "", /^[0-9a-f]{64}$/)
    }))

  it.scopedLive("downloadFile writes dir/file_name with the API's bytes, with progress up to its size", () =>
    Effect.gen(function*() {
      const server = yield* toshi
      const dir = yield* tempDir
      const [stored] = server.files
      const progress: Array<Download.Progress> = []
      const path = yield* run(ToshiFile.downloadFile(stored!.id, dir, { onProgress: (p) => void progress.push(p) }), server)

      assert.strictEqual(path, Path.join(dir, stored!.file_name))
      assert.isTrue(Buffer.from(stored!.bytes).equals(Fs.readFileSync(path)))
      assert.deepStrictEqual(Fs.readdirSync(dir), [stored!.file_name])
      assert.isAbove(progress.length, 1)
      assert.isTrue(progress.every((p, i) => p.total === stored!.bytes.length && (i === 0 || p.received > progress[i - 1]!.received)))
      assert.strictEqual(progress.at(-1)?.received, stored!.bytes.length)
      // Two GraphQL calls with the key, then storage, which took the signature and no credentials.
      assert.deepStrictEqual(
        server.seen.map((s) => [s.method, s.path.split("/")[1], s.operation, s.apiKey, s.authorization]),
        [
          ["POST", "graphql", "file", "toshi-api-key", undefined],
          ["POST", "graphql", "download_file", "toshi-api-key", undefined],
          ["GET", "toshi-files", undefined, undefined, undefined]
        ]
      )
    }))

  it.scopedLive("an empty file downloads as an empty file", () =>
    Effect.gen(function*() {
      const server = yield* toshi
      const dir = yield* tempDir
      const empty = server.files.find((f) => f.bytes.length === 0)!
      const path = yield* run(ToshiFile.downloadFile(empty.id, dir), server)
      assert.strictEqual(Fs.readFileSync(path).length, 0)
    }))

  it.scopedLive("an id the API does not know is a GraphQLError with its message, and nothing is downloaded", () =>
    Effect.gen(function*() {
      const server = yield* toshi
      const dir = yield* tempDir
      const error = yield* Effect.flip(run(ToshiFile.downloadFile("RmlsZTo5OTk5", dir), server))
      assert.strictEqual(error._tag, "GraphQLError")
      if (error._tag !== "GraphQLError") return
      assert.strictEqual(error.operation, "file")
      assert.deepStrictEqual(error.messages, ["File matching query does not exist. (id: RmlsZTo5OTk5)"])
      assert.deepStrictEqual(error.paths, ["node"])
      assert.deepStrictEqual(error.data, { node: null })
      assert.include(error.message, `GraphQL operation "file" to ${server.graphqlUrl} failed: File matching query does not exist.`)
      assert.deepStrictEqual(Fs.readdirSync(dir), [])
      assert.isFalse(server.seen.some((s) => s.path.startsWith("/toshi-files/")))
    }))

  it.scopedLive("a download corrupted on the way is a ChecksumMismatch against the API's MD5, and leaves no file", () =>
    Effect.gen(function*() {
      const server = yield* toshi
      server.state.corrupt = true
      const dir = yield* tempDir
      const [stored] = server.files
      const error = yield* Effect.flip(run(ToshiFile.downloadFile(stored!.id, dir), server))
      assert.strictEqual(error._tag, "ChecksumMismatch")
      if (error._tag !== "ChecksumMismatch") return
      assert.strictEqual(error.algorithm, "md5")
      assert.strictEqual(error.expected, stored!.md5_digest)
      assert.notStrictEqual(error.actual, stored!.md5_digest)
      assert.match(error.actual, /^[0-9a-f]{32}$/)
      assert.notInclude(error.message, "X-Amz-Signature")
      // Neither the file nor its temporary file.
      assert.deepStrictEqual(Fs.readdirSync(dir), [])
    }))

  it.scopedLive("a token the API stops accepting is renewed on the 401, once, and the query succeeds", () =>
    Effect.gen(function*() {
      const server = yield* toshi
      let acquired = 0
      const provider = AuthProvider.make({
        key: "counting",
        acquire: Effect.map(DateTime.now, (now) => {
          acquired++
          return TokenSet.make({ accessToken: Redacted.make(`token-${acquired}`), issuedAt: now, expiresAt: DateTime.add(now, { hours: 1 }) })
        })
      })
      // token-1 was revoked behind the client's back; token-2 is what a renewal hands out.
      server.state.tokens.add("token-2")
      const [stored] = server.files
      const file = yield* run(ToshiFile.getFile(stored!.id), server, provider)
      assert.strictEqual(file.md5_digest, stored!.md5_digest)
      assert.strictEqual(acquired, 2)
      assert.deepStrictEqual(server.seen.map((s) => s.authorization), ["Bearer token-1", "Bearer token-2"])
    }))

  it.scopedLive("TOSHI_ENV selects the API; an environment the program does not define is refused by name", () =>
    Effect.gen(function*() {
      const server = yield* toshi
      const [stored] = server.files
      const error = yield* Effect.flip(run(ToshiFile.getFile(stored!.id), server, undefined, { TOSHI_ENV: "staging" }))
      assert.strictEqual(error._tag, "UnknownEnvironmentError")
      assert.include(error.message, "the known environments are production, test, local")
      const missing = yield* Effect.flip(run(ToshiFile.getFile(stored!.id), server, undefined, { TOSHI_ENV: "test" }))
      assert.deepInclude(missing, { _tag: "ConfigIncompleteError", missing: ["TOSHI_TEST_API_URL"] })
      assert.strictEqual(server.seen.length, 0)
    }))
})
