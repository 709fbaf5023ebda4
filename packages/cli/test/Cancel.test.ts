/**
 * Ctrl-C: the built `toshi` as a child process, interrupted while it waits on the device flow or
 * on a prompt, says that it was cancelled and exits 130, as shells expect of SIGINT.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type DevServer, start } from "@toshi/devserver"
import { bundle } from "./bundle.js"
import { home, run, runInTerminal } from "./cli.js"

let bin: string
let oidc: DevServer

beforeAll(async () => {
  const [built, o] = await Promise.all([bundle(), start()])
  bin = built
  oidc = o
}, 120_000)
afterAll(async () => {
  await oidc?.stop()
})

const deviceProfile = () => ({ profiles: { dev: { issuer: oidc.issuer, client_id: oidc.clients.public.clientId, flow: "device" } } })

describe("Ctrl-C", () => {
  it("SIGINT while waiting on the device flow: 'cancelled' on stderr, exit 130, nothing saved", async () => {
    const dir = home({ profiles: deviceProfile() })
    const result = await run(bin, ["login", "-p", "dev"], { home: dir, kill: { when: /Waiting for approval/, signal: "SIGINT" } })
    assert.strictEqual(result.code, 130, result.stderr)
    assert.include(result.stderr, "enter the code")
    assert.include(result.stderr, "toshi: cancelled")
    assert.strictEqual(result.stdout, "")
    const status = await run(bin, ["status", "-p", "dev", "--json"], { home: dir })
    assert.strictEqual(status.code, 3)
    assert.strictEqual((JSON.parse(status.stdout) as Array<Record<string, any>>)[0]!["session"]["exists"], false)
  })

  it("in a terminal: the device flow shows a spinner with the time left, and Ctrl-C ends it with 130", async () => {
    const dir = home({ profiles: deviceProfile() })
    const result = await runInTerminal(bin, ["login", "-p", "dev"], {
      home: dir,
      env: { NO_COLOR: "" },
      // Once a frame shows the time left, Ctrl-C, as the terminal sends it.
      answers: [{ when: / left/, type: () => "\x03" }]
    })
    assert.strictEqual(result.code, 130, result.screen)
    assert.include(result.screen, "enter the code")
    assert.match(result.screen, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] Waiting for approval… \d+:\d\d left/)
    assert.include(result.screen, "toshi: cancelled")
  })

  it("in a terminal: Ctrl-C at the email prompt ends with 130, not a login failure", async () => {
    const dir = home({ authConfig: { user_pool_id: "ap-southeast-2_pool", scientist_client_id: "client" } })
    const result = await runInTerminal(bin, ["login"], { home: dir, answers: [{ when: /Email/, type: () => "\x03" }] })
    assert.strictEqual(result.code, 130, result.screen)
    assert.include(result.screen, "toshi: cancelled")
    assert.notInclude(result.screen, "Login failed")
  })
})
