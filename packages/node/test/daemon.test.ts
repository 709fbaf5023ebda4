import { execFile } from "node:child_process"
import { fileURLToPath } from "node:url"
import { assert, describe, it } from "@effect/vitest"

const fixture = fileURLToPath(new URL("./fixtures/daemon.ts", import.meta.url))

describe("a daemon with RefreshPolicy.raise", () => {
  it("ends with a non-zero exit code and the RefreshFailedError printed when renewal fails for good", async () => {
    const started = Date.now()
    const result = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = execFile(process.execPath, ["--import", "tsx", fixture], { timeout: 30_000 }, (error, stdout, stderr) =>
        resolve({ code: error === null ? 0 : (child.exitCode ?? -1), output: stdout + stderr }))
    })
    assert.strictEqual(result.code, 1, result.output)
    assert.include(result.output, "daemon started")
    assert.include(result.output, "RefreshFailedError")
    assert.include(result.output, "InvalidClient")
    // The advice once per message, not once from the login that was refused and again from the renewal.
    assert.include(result.output, "check the client id and secret")
    assert.notMatch(result.output, /check the client id and secret.*check the client id and secret/)
    assert.notInclude(result.output, "daemon-token")
    // It ends at the first refused renewal (about a second in), not after a hang.
    assert.isBelow(Date.now() - started, 25_000)
  })
})
