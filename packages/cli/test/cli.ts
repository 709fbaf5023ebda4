/**
 * Runs the built `toshi` (the single bundled file) as a real process, with its own HOME.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export interface RunOptions {
  readonly home: string
  readonly env?: Readonly<Record<string, string>> | undefined
  /** Written to standard input, which is then closed; without it, standard input is closed at once. */
  readonly input?: string | undefined
  /** Called with each chunk of stderr, e.g. to answer a device-code prompt. */
  readonly onStderr?: ((text: string) => void) | undefined
  /** Sends `signal` once stderr matches `when`, as a person pressing Ctrl-C (SIGINT) would. */
  readonly kill?: { readonly when: RegExp; readonly signal: NodeJS.Signals } | undefined
  readonly timeoutMs?: number | undefined
}

/** The environment every run starts from: nothing of the developer's own configuration leaks in. */
const baseEnv = () => ({
  PATH: process.env["PATH"] ?? "/usr/bin:/bin",
  NO_COLOR: "1"
})

export const run = (bin: string, args: ReadonlyArray<string>, options: RunOptions): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { ...baseEnv(), HOME: options.home, ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    let killed = false
    child.stderr.on("data", (chunk) => {
      stderr += chunk
      options.onStderr?.(String(chunk))
      if (options.kill !== undefined && !killed && options.kill.when.test(stderr)) {
        killed = true
        child.kill(options.kill.signal)
      }
    })
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`toshi ${args.join(" ")} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, options.timeoutMs ?? 30_000)
    child.once("error", reject)
    child.once("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    if (options.input !== undefined) child.stdin.write(options.input)
    child.stdin.end()
  })

/**
 * Runs `toshi` in a pseudo-terminal (util-linux `script`), typing `answers` as each prompt appears:
 * the way a person uses `toshi login`.
 */
export const runInTerminal = (
  bin: string,
  args: ReadonlyArray<string>,
  options: RunOptions & { readonly answers: ReadonlyArray<{ readonly when: RegExp; readonly type: () => string }> }
): Promise<Result & { readonly screen: string }> =>
  new Promise((resolve, reject) => {
    const quoted = [process.execPath, bin, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ")
    const child = spawn("script", ["-qfec", quoted, "/dev/null"], {
      env: { ...baseEnv(), HOME: options.home, TERM: "xterm", ...options.env },
      stdio: ["pipe", "pipe", "pipe"]
    })
    let screen = ""
    let next = 0
    const onData = (chunk: Buffer) => {
      screen += chunk.toString()
      const answer = options.answers[next]
      if (answer !== undefined && answer.when.test(screen.slice(screen.lastIndexOf("\n", screen.length - 2) + 1))) {
        next++
        // A moment for the prompt to switch the terminal to raw mode.
        setTimeout(() => child.stdin.write(`${answer.type()}\r`), 150)
      }
    }
    child.stdout.on("data", onData)
    child.stderr.on("data", onData)
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`toshi ${args.join(" ")} did not finish in time\nscreen: ${screen}`))
    }, options.timeoutMs ?? 30_000)
    child.once("error", reject)
    child.once("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: screen, stderr: "", screen })
    })
  })

/** A fresh HOME, with `~/.toshi/auth_config.json` and `~/.toshi/profiles.json` when given. */
export const home = (files: { readonly authConfig?: object; readonly profiles?: object } = {}) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-cli-"))
  if (files.authConfig !== undefined || files.profiles !== undefined) fs.mkdirSync(path.join(dir, ".toshi"), { mode: 0o700 })
  if (files.authConfig !== undefined) fs.writeFileSync(path.join(dir, ".toshi", "auth_config.json"), JSON.stringify(files.authConfig))
  if (files.profiles !== undefined) fs.writeFileSync(path.join(dir, ".toshi", "profiles.json"), JSON.stringify(files.profiles))
  return dir
}
