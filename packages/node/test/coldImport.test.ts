/**
 * What an import loads, read in a fresh `node` that imports the built modules (`dist/`, as an
 * application does): `@toshi/node/TokenClient` loads the engine (Effect and the rest) on its first
 * call, and no provider loads `jose` before it validates an ID token.
 */
import { assert, describe, it } from "@effect/vitest"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const packageDir = fileURLToPath(new URL("..", import.meta.url))
const dist = (file: string) => pathToFileURL(fileURLToPath(new URL(`../../${file}`, import.meta.url))).href
const loadedModules = fileURLToPath(new URL("fixtures/loadedModules.mjs", import.meta.url))

/** Runs an ES module script in a new `node` that records what it loads, and parses its last line. */
const node = (script: string) =>
  new Promise<any>((resolve, reject) => {
    execFile(process.execPath, ["--import", loadedModules, "--input-type=module", "-e", script], { cwd: packageDir, encoding: "utf8" }, (error, stdout, stderr) => {
      if (error !== null) return reject(new Error(`node failed: ${error.message}\n${stdout}${stderr}`))
      resolve(JSON.parse(stdout.trim().split("\n").at(-1)!))
    })
  })

describe("cold imports", () => {
  it("@toshi/node/TokenClient loads only itself; the first token() loads the engine and answers", async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-cold-"))
    const credentials = path.join(home, "credentials")
    fs.writeFileSync(
      credentials,
      JSON.stringify({ access_token: "saved-token", token_type: "Bearer", expires_at: Math.floor(Date.now() / 1000) + 3600 }),
      { mode: 0o600 }
    )
    try {
      const result = await node(`
const { createTokenClient } = await import(${JSON.stringify(dist("node/dist/TokenClient.js"))})
const client = createTokenClient({
  provider: { type: "clientCredentials", tokenEndpoint: "http://127.0.0.1:9/token", clientId: "test", clientSecret: "test" },
  store: { type: "credentials", path: ${JSON.stringify(credentials)} },
  backgroundRefresh: false
})
const atCreate = await globalThis.loadedModules()
const token = await client.token()
const afterToken = await globalThis.loadedModules()
await client.close()
console.log(JSON.stringify({ atCreate, token, afterToken }))`)
      assert.deepStrictEqual(result.atCreate, ["@toshi/node"])
      assert.strictEqual(result.token, "saved-token")
      assert.includeMembers(result.afterToken, ["effect", "@toshi/core", "@toshi/providers", "@toshi/stores"])
    } finally {
      fs.rmSync(home, { recursive: true, force: true })
    }
  })

  it("neither OAuth2 nor the barrels load jose at import", async () => {
    const loaded = await node(`
const after = {}
for (const file of ${JSON.stringify([dist("providers/dist/OAuth2.js"), dist("providers/dist/index.js"), dist("node/dist/index.js")])}) {
  await import(file)
  after[file.slice(file.indexOf("/packages/") + 10)] = await globalThis.loadedModules()
}
console.log(JSON.stringify(after))`)
    for (const [file, packages] of Object.entries(loaded)) {
      assert.include(packages as Array<string>, "effect", file)
      assert.notInclude(packages as Array<string>, "jose", file)
    }
  })
})
