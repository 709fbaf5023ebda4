/**
 * The daemon story end to end: the real devserver issuing 2-second tokens, a real API verifying
 * them, and the daemon run by the supervisor as separate processes, as an operator would run them.
 * The tests are the chapters of one story and run in order, sharing the processes.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { fileURLToPath } from "node:url"
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type DevServer, start } from "@toshi/devserver"
import { type Api, startApi } from "./fixtures/api.js"

const exampleDir = fileURLToPath(new URL("..", import.meta.url))
const supervisorPath = fileURLToPath(new URL("../src/supervisor.ts", import.meta.url))
const daemonPath = fileURLToPath(new URL("../src/daemon.ts", import.meta.url))

interface Line {
  readonly at: number
  readonly text: string
}

/** The supervisor's output (its own lines and the daemon's, prefixed), line by line as it comes. */
class Output {
  readonly lines: Array<Line> = []
  private readonly waiters = new Set<() => void>()
  private partial = { stdout: "", stderr: "" }

  push(stream: "stdout" | "stderr", chunk: string) {
    const text = this.partial[stream] + chunk
    const parts = text.split("\n")
    this.partial[stream] = parts.pop() ?? ""
    for (const part of parts) this.lines.push({ at: Date.now(), text: part })
    for (const wake of this.waiters) wake()
  }

  /** Lines from index `from` on, optionally only those matching `pattern`. */
  since(from: number, pattern?: RegExp): Array<Line> {
    const lines = this.lines.slice(from)
    return pattern === undefined ? lines : lines.filter((line) => pattern.test(line.text))
  }

  /** The first line from index `from` on that matches; fails after `seconds`, with the output's tail. */
  waitFor(
    pattern: RegExp,
    options: { readonly from: number; readonly seconds: number }
  ): Promise<Line & { readonly index: number; readonly match: RegExpExecArray }> {
    return new Promise((resolve, reject) => {
      let scanned = options.from
      const check = () => {
        for (; scanned < this.lines.length; scanned++) {
          const line = this.lines[scanned]!
          const match = pattern.exec(line.text)
          if (match !== null) {
            finish()
            return resolve({ ...line, index: scanned, match })
          }
        }
      }
      const timer = setTimeout(() => {
        finish()
        reject(new Error(`no line matching ${pattern} within ${options.seconds} s; output so far:\n${this.tail()}`))
      }, options.seconds * 1000)
      const finish = () => {
        clearTimeout(timer)
        this.waiters.delete(check)
      }
      this.waiters.add(check)
      check()
    })
  }

  tail(count = 40): string {
    return this.lines.slice(-count).map((line) => line.text).join("\n")
  }
}

let server: DevServer
let api: Api
let supervisor: ChildProcess
let supervisorExit: Promise<number | null>
const output = new Output()
/** A token taken at the start, to show at the end that the API refuses expired tokens. */
let earlyToken: string

const daemonLines = (run: number, from = 0, pattern?: RegExp) =>
  output.since(from, pattern).filter((line) => line.text.startsWith(`[daemon ${run}] `))

const tokenRequests = () => server.counts()["token"] ?? 0

beforeAll(async () => {
  server = await start({ accessTokenTtl: 2 })
  api = await startApi(server)
  const { clientId, clientSecret } = server.clients.confidential
  const response = await fetch(server.endpoints.token, {
    method: "POST",
    body: new URLSearchParams({ grant_type: "client_credentials", client_id: clientId, client_secret: clientSecret, scope: "read", resource: server.resource })
  })
  earlyToken = ((await response.json()) as { access_token: string }).access_token

  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "",
    DAEMON_ISSUER: server.issuer,
    DAEMON_CLIENT_ID: clientId,
    DAEMON_CLIENT_SECRET: clientSecret,
    DAEMON_SCOPE: "read write",
    DAEMON_RESOURCE: server.resource,
    DAEMON_API_URL: api.url,
    DAEMON_INTERVAL: "1 second"
  }
  if (process.env["HOME"] !== undefined) env["HOME"] = process.env["HOME"]
  supervisor = spawn(
    process.execPath,
    [
      "--import", "tsx", supervisorPath, "--restart-delay", "500", "--name", "daemon", "--",
      process.execPath, "--import", "tsx", daemonPath
    ],
    // A process group of its own, so that afterAll can sweep up whatever a failed test leaves behind.
    { cwd: exampleDir, env, stdio: ["ignore", "pipe", "pipe"], detached: true }
  )
  supervisor.stdout!.setEncoding("utf8").on("data", (chunk: string) => output.push("stdout", chunk))
  supervisor.stderr!.setEncoding("utf8").on("data", (chunk: string) => output.push("stderr", chunk))
  supervisorExit = new Promise((resolve) => supervisor.once("exit", (code) => resolve(code)))
})

afterAll(async () => {
  if (supervisor?.exitCode === null && supervisor.signalCode === null) {
    supervisor.kill("SIGTERM")
    const exited = await Promise.race([supervisorExit.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 15_000))])
    if (!exited) console.error(`the supervisor did not stop on SIGTERM; killing its group\n${output.tail()}`)
  }
  // Whatever is left (nothing, normally): the supervisor's process group, and the group of a daemon
  // it started and did not see end (it runs each child in a group of its own).
  const running = new Map<string, number>()
  for (const { text } of output.lines) {
    const started = /^\[supervisor\] run (\d+): started .*\(pid (\d+)\)$/.exec(text)
    if (started !== null) running.set(started[1]!, Number(started[2]))
    const ended = /^\[supervisor\] run (\d+): (exited|killed|could not run)/.exec(text)
    if (ended !== null) running.delete(ended[1]!)
  }
  for (const pid of [supervisor?.pid, ...running.values()]) {
    try {
      if (pid !== undefined) process.kill(-pid, "SIGKILL")
    } catch {
      // ESRCH: the group is gone, as it should be.
    }
  }
  await api?.stop()
  await server?.stop()
})

describe("an M2M daemon with RefreshPolicy.raise under a supervisor", () => {
  it("with 2-second tokens it calls the API every second and renews many times without a failed request", async () => {
    const first = await output.waitFor(/^\[daemon 1\] .*message="request ok"/, { from: 0, seconds: 30 })
    const from = first.index
    const tokensBefore = tokenRequests()
    const servedBefore = api.served()
    await new Promise((resolve) => setTimeout(resolve, 8_000))

    const ok = daemonLines(1, from, /message="request ok"/)
    const renewed = daemonLines(1, from, /message="token renewed" .*/).filter((line) => /reason=stale/.test(line.text))
    const renewals = tokenRequests() - tokensBefore
    console.log(
      `healthy phase: ${ok.length} calls, ${renewed.length} background renewals logged, ${renewals} token requests, ` +
        `API served ${api.served() - servedBefore}, API refusals so far: ${JSON.stringify(api.refused())}`
    )
    assert.isAtLeast(ok.length, 6, output.tail())
    assert.isAtLeast(renewed.length, 4, output.tail())
    assert.isAtLeast(renewals, 4)
    assert.isAtLeast(api.served() - servedBefore, 6)
    assert.deepStrictEqual(output.since(0, /request failed|level=ERROR/), [], "no failed request, no error")
    assert.isTrue(ok.every((line) => /failed=0/.test(line.text)))
    // A JWT's `exp` is whole seconds, so a token can expire at the API up to a second before the
    // client's `expires_in` arithmetic says; the client then renews on the 401 and retries, and the
    // call succeeds. Any refusal must be that and nothing else.
    assert.isTrue(api.refused().every((reason) => reason === "expired"), JSON.stringify(api.refused()))
    const secret = server.clients.confidential.clientSecret
    assert.isFalse(output.lines.some((line) => line.text.includes(secret) || /eyJ[\w-]+\.[\w-]+\./.test(line.text)), "no secret or token logged")
  })

  it("when the client is revoked, the daemon exits non-zero with the RefreshFailedError after one refresh attempt", async () => {
    const from = output.lines.length
    const tokensBefore = tokenRequests()
    const revokedAt = Date.now()
    server.revokeClient(server.clients.confidential.clientId)

    // A 2-second token is renewed a second before it expires: a hang would be the only way past 10 s.
    const exit = await output.waitFor(/^\[supervisor\] run 1: exited with code (\d+)/, { from, seconds: 10 })
    console.log(`revoked: run 1 exited with code ${exit.match[1]} ${((exit.at - revokedAt) / 1000).toFixed(1)} s after the revocation`)
    assert.notStrictEqual(exit.match[1], "0")
    // The restart comes half a second later, and its own first token request seconds after that.
    assert.strictEqual(tokenRequests() - tokensBefore, 1, "one refused renewal, not retried: invalid_client is terminal")
    const failure = daemonLines(1, from, /message="daemon failed"/)
    assert.lengthOf(failure, 1, output.tail())
    assert.match(failure[0]!.text, /error=RefreshFailedError/)
    assert.match(failure[0]!.text, /reason=InvalidClient/)
    assert.strictEqual(failure[0]!.text.split("check the client id and secret").length, 2, failure[0]!.text)
    assert.deepStrictEqual(output.since(from, /request failed/), [], "the calls before the exit still succeeded")
  })

  it("restarted while the client is still revoked, it exits again", async () => {
    const started = await output.waitFor(/^\[supervisor\] run 2: started/, { from: 0, seconds: 5 })
    const exit = await output.waitFor(/^\[supervisor\] run 2: exited with code (\d+)/, { from: started.index, seconds: 20 })
    console.log(`still revoked: run 2 exited with code ${exit.match[1]} ${((exit.at - started.at) / 1000).toFixed(1)} s after it started`)
    assert.notStrictEqual(exit.match[1], "0")
    const failure = daemonLines(2, 0, /message="daemon failed"/)
    assert.lengthOf(failure, 1, output.tail())
    // It never had a token, so the first grant itself is what was refused.
    assert.match(failure[0]!.text, /reason=InvalidClient/)
    assert.deepStrictEqual(daemonLines(2, 0, /message="request ok"/), [])
  })

  it("once the client is restored, the next restart runs and requests resume", async () => {
    server.restoreClient(server.clients.confidential.clientId)
    const servedBefore = api.served()
    const started = await output.waitFor(/^\[supervisor\] run 3: started/, { from: 0, seconds: 5 })
    const third = await output.waitFor(/^\[daemon 3\] .*message="request ok" .*ok=3/, { from: started.index, seconds: 25 })
    console.log(`restored: run 3 made its third successful call ${((third.at - started.at) / 1000).toFixed(1)} s after it started`)
    assert.isAtLeast(api.served() - servedBefore, 3)
    assert.deepStrictEqual(daemonLines(3, 0, /request failed|level=ERROR/), [])
    assert.strictEqual(output.since(0, /^\[supervisor\] run \d+: exited/).length, 2, "two exits: the revocation and the restart while revoked")
  })

  it("the API refuses an expired token and a request without one", async () => {
    const answer = async (headers: Record<string, string>) => (await fetch(api.url, { headers })).status
    assert.strictEqual(await answer({ authorization: `Bearer ${earlyToken}` }), 401)
    assert.strictEqual(await answer({}), 401)
    assert.includeMembers([...api.refused()], ["expired", "missing"])
  })

  it("SIGTERM stops the supervisor and the daemon with it", async () => {
    const from = output.lines.length
    supervisor.kill("SIGTERM")
    const code = await Promise.race([supervisorExit, new Promise<string>((r) => setTimeout(() => r("still running after 10 s"), 10_000))])
    assert.strictEqual(code, 0, output.tail())
    assert.lengthOf(daemonLines(3, from, /message="daemon stopping"/), 1, output.tail())
    assert.lengthOf(output.since(from, /^\[supervisor\] run 3: exited with code 0 .*stopped after 2 restart\(s\)/), 1, output.tail())
  })
})
