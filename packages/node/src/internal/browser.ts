import type { Browser } from "@toshi/providers"
import * as Effect from "effect/Effect"
import * as ChildProcess from "node:child_process"
import type { Options, Spawn } from "../NodeBrowser.js"

const isSet = (value: string | undefined): value is string => value !== undefined && value !== ""

const isTrue = (value: string | undefined) => isSet(value) && !/^(0|false|no|off)$/i.test(value)

/** `$BROWSER`, unless it is unset or says there is none. */
const browserVariable = (env: Options["env"] & {}) => {
  const value = env["BROWSER"]?.trim()
  return isSet(value) && value.toLowerCase() !== "none" ? value : undefined
}

/** @internal */
export const isAvailable = (env: NonNullable<Options["env"]>, platform: NodeJS.Platform): boolean => {
  if (env["BROWSER"]?.trim().toLowerCase() === "none" || isTrue(env["TOSHI_NO_BROWSER"])) return false
  if (isTrue(env["CI"])) return false
  // An explicit $BROWSER is trusted over the guesses below: an editor's remote session (VS Code
  // over SSH) points it at a helper that opens the browser on the user's own machine.
  if (browserVariable(env) !== undefined) return true
  if (isSet(env["SSH_CONNECTION"]) || isSet(env["SSH_TTY"])) return false
  if (platform === "darwin" || platform === "win32") return true
  return isSet(env["DISPLAY"]) || isSet(env["WAYLAND_DISPLAY"])
}

/** @internal */
export interface Command {
  readonly command: string
  readonly args: ReadonlyArray<string>
  readonly windowsVerbatimArguments: boolean
}

/**
 * The opener and its arguments, the URL always one argument of its own. `$BROWSER` may hold
 * arguments and a `%s` for the URL, and a list of commands of which the first is used (as Python's
 * `webbrowser` reads it).
 *
 * @internal
 */
export const opener = (href: string, env: NonNullable<Options["env"]>, platform: NodeJS.Platform): Command => {
  const browser = browserVariable(env)
  if (browser !== undefined) {
    const first = browser.split(platform === "win32" ? ";" : ":")[0]!
    const [command, ...rest] = first.trim().split(/\s+/)
    const args = rest.some((arg) => arg.includes("%s")) ? rest.map((arg) => arg.replaceAll("%s", href)) : [...rest, href]
    return { command: command!, args, windowsVerbatimArguments: false }
  }
  switch (platform) {
    case "darwin":
      return { command: "open", args: [href], windowsVerbatimArguments: false }
    case "win32":
      // `start` is a cmd builtin, so cmd parses this line: the URL goes in double quotes, where
      // `&`, `|`, `<`, `>` and `^` are literal, and a normalised URL holds no `"` (it is %22).
      return { command: "cmd", args: ["/d", "/s", "/c", `start "" "${href}"`], windowsVerbatimArguments: true }
    default:
      return { command: "xdg-open", args: [href], windowsVerbatimArguments: false }
  }
}

const defaultSpawn: Spawn = (command, args, options) => ChildProcess.spawn(command, args, options)

/** @internal */
export const make = (options: Options = {}): Browser.BrowserService => {
  const env = options.env ?? process.env
  const platform = options.platform ?? process.platform
  const spawn = options.spawn ?? defaultSpawn
  return {
    available: Effect.sync(() => isAvailable(env, platform)),
    open: (url) =>
      Effect.async<boolean>((resume) => {
        let href: string
        try {
          const parsed = new URL(url)
          // Only web pages: a `file:` or custom-scheme URL would hand the opener something else to run.
          if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return resume(Effect.succeed(false))
          href = parsed.href
        } catch {
          return resume(Effect.succeed(false))
        }
        const { args, command, windowsVerbatimArguments } = opener(href, env, platform)
        let settled = false
        const settle = (opened: boolean) => {
          if (settled) return
          settled = true
          resume(Effect.succeed(opened))
        }
        try {
          const child = spawn(command, args, { detached: true, stdio: "ignore", windowsHide: true, windowsVerbatimArguments })
          // The listener stays: an 'error' with no listener would crash the process.
          child.on("error", () => settle(false))
          child.once("spawn", () => {
            child.unref()
            settle(true)
          })
        } catch {
          settle(false)
        }
      })
  }
}
