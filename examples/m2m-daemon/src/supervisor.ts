/**
 * A tiny process supervisor, standing in for systemd's `Restart=always`, Docker's
 * `--restart always` or a Kubernetes pod: it runs a command, restarts it whenever it exits (after a
 * short delay), prefixes and forwards its output, and counts the restarts. SIGTERM, SIGINT or SIGHUP
 * stops it: the child gets one SIGTERM (SIGKILL if it has not exited within the stop timeout), and
 * the supervisor exits 0 once the child is gone. The child's stdin is closed: nothing it runs can
 * wait for a person.
 *
 * The child runs in a process group of its own, as a service manager's child does, so a Ctrl-C in
 * the terminal reaches the supervisor alone and the child hears about it exactly once, from the
 * supervisor. (An Effect program under `runMain` takes a second signal as "stop now", without its
 * finalizers.) Signals go to the child's whole group: a wrapper it runs cannot keep them from the
 * real program.
 *
 * Usage: supervisor [--restart-delay MS] [--stop-timeout MS] [--name NAME] -- COMMAND [ARGS...]
 *
 * Plain Node on purpose: it models the operator's machinery, not toshi.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as readline from "node:readline"
import { parseArgs } from "node:util"

const usage = "Usage: supervisor [--restart-delay MS] [--stop-timeout MS] [--name NAME] -- COMMAND [ARGS...]"

const milliseconds = (flag: string, value: string): number => {
  const parsed = Number(value)
  if (!Number.isInteger(parsed) || parsed < 0) {
    process.stderr.write(`--${flag} must be a whole number of milliseconds (got "${value}")\n${usage}\n`)
    process.exit(2)
  }
  return parsed
}

const { values, positionals } = parseArgs({
  options: {
    "restart-delay": { type: "string", default: "1000" },
    "stop-timeout": { type: "string", default: "10000" },
    name: { type: "string", default: "child" }
  },
  allowPositionals: true,
  strict: true
})
const [command, ...args] = positionals
if (command === undefined) {
  process.stderr.write(`${usage}\n`)
  process.exit(2)
}
const restartDelay = milliseconds("restart-delay", values["restart-delay"])
const stopTimeout = milliseconds("stop-timeout", values["stop-timeout"])
const name = values.name

const say = (text: string) => process.stdout.write(`[supervisor] ${text}\n`)

let restarts = 0
let child: ChildProcess | undefined
let restartTimer: NodeJS.Timeout | undefined
let stopping = false

/** Copies a stream line by line, each line prefixed with the run it came from. */
const forward = (stream: NodeJS.ReadableStream | null, to: NodeJS.WriteStream, prefix: string) => {
  if (stream === null) return
  readline.createInterface({ input: stream, crlfDelay: Infinity }).on("line", (line) => to.write(`${prefix} ${line}\n`))
}

const run = () => {
  restartTimer = undefined
  const runNo = restarts + 1
  const started = Date.now()
  const current = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true })
  child = current
  forward(current.stdout, process.stdout, `[${name} ${runNo}]`)
  forward(current.stderr, process.stderr, `[${name} ${runNo}]`)
  say(`run ${runNo}: started ${[command, ...args].join(" ")} (pid ${current.pid ?? "none"})`)

  let ended = false
  const end = (how: string) => {
    if (ended) return
    ended = true
    child = undefined
    const seconds = ((Date.now() - started) / 1000).toFixed(1)
    if (stopping) {
      say(`run ${runNo}: ${how} after ${seconds} s; stopped after ${restarts} restart(s)`)
      process.exit(0)
    }
    restarts++
    say(`run ${runNo}: ${how} after ${seconds} s; restart ${restarts} in ${restartDelay} ms`)
    restartTimer = setTimeout(run, restartDelay)
  }
  // `close` comes after the output streams have ended, so the last lines are forwarded first.
  current.once("close", (code, signal) => end(signal === null ? `exited with code ${code}` : `killed by ${signal}`))
  current.once("error", (error) => end(`could not run (${error.message})`))
}

/** Signals the child's process group; it may already be gone. */
const signalChild = (signal: NodeJS.Signals) => {
  const pid = child?.pid
  if (pid === undefined) return
  try {
    process.kill(-pid, signal)
  } catch {
    // ESRCH: it exited meanwhile, and its `close` is on the way.
  }
}

const stop = (signal: NodeJS.Signals) => {
  // Ctrl-C reaches the whole process group, and a wrapper (tsx, npm) may relay it again: one stop is enough.
  if (stopping) return
  stopping = true
  if (restartTimer !== undefined) clearTimeout(restartTimer)
  if (child === undefined) {
    say(`${signal}: stopped after ${restarts} restart(s)`)
    process.exit(0)
  }
  say(`${signal}: stopping pid ${child.pid ?? "none"}`)
  signalChild("SIGTERM")
  setTimeout(() => signalChild("SIGKILL"), stopTimeout).unref()
}

process.on("SIGTERM", stop)
process.on("SIGINT", stop)
process.on("SIGHUP", stop)
run()
