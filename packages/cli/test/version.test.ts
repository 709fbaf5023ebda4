/**
 * `toshi --version` is answered by the published entry in plain code: it must print exactly what
 * the full CLI (@effect/cli's built-in `--version`) prints, with the package.json's version.
 */
import { assert, describe, it, vi } from "@effect/vitest"
import { NodeAuth } from "@toshi/node"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as Cli from "../src/Cli.js"
import { bundle } from "./bundle.js"
import { home, run } from "./cli.js"

const packageVersion = (JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }).version

/** What the full CLI prints for `argv`, in this process. */
const fullCli = async (argv: ReadonlyArray<string>) => {
  const printed: Array<string> = []
  const log = vi.spyOn(console, "log").mockImplementation((...args: Array<unknown>) => void printed.push(`${args.join(" ")}\n`))
  try {
    await Effect.runPromise(Cli.run(argv).pipe(Effect.provide(NodeAuth.layer())))
  } finally {
    log.mockRestore()
  }
  return printed.join("")
}

describe("toshi --version", () => {
  it("the published entry prints the package.json's version exactly as the full CLI does", async () => {
    const [bin, full] = await Promise.all([bundle(), fullCli(["node", "toshi", "--version"])])
    const fast = await run(bin, ["--version"], { home: home() })
    assert.strictEqual(fast.code, 0)
    assert.strictEqual(fast.stderr, "")
    assert.strictEqual(fast.stdout, full)
    assert.strictEqual(fast.stdout.trim(), packageVersion)
  })
})
