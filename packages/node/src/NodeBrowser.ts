/**
 * Opening the sign-in page in the user's browser with the platform's opener (`$BROWSER`,
 * `xdg-open`, `open`, `start`), and telling when there is no browser to open (CI, SSH, no display).
 *
 * @since 0.1.0
 */
import { Browser } from "@toshi/providers"
import * as Layer from "effect/Layer"
import * as internal from "./internal/browser.js"

/**
 * The part of a child process the opener needs (Node's `ChildProcess` has it).
 *
 * @since 0.1.0
 * @category models
 */
export interface SpawnedProcess {
  on(event: "error", listener: (error: Error) => void): unknown
  once(event: "spawn", listener: () => void): unknown
  unref(): void
}

/**
 * How the opener is started; `node:child_process` `spawn` by default. Never through a shell.
 *
 * @since 0.1.0
 * @category models
 */
export type Spawn = (
  command: string,
  args: ReadonlyArray<string>,
  options: {
    readonly detached: boolean
    readonly stdio: "ignore"
    readonly windowsHide: boolean
    readonly windowsVerbatimArguments: boolean
  }
) => SpawnedProcess

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** The environment to judge by. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined
  /** Default `process.platform`. */
  readonly platform?: NodeJS.Platform | undefined
  readonly spawn?: Spawn | undefined
}

/**
 * `available` is `false` under CI, `BROWSER=none` or `TOSHI_NO_BROWSER=1`; also over SSH and, on
 * Linux and other Unixes, without `DISPLAY` or `WAYLAND_DISPLAY`, unless `$BROWSER` names an
 * opener. `open(url)` starts the opener detached, with the URL as one argument, and gives `false`
 * when it could not be started (or the URL is not http or https); it never fails.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: (options?: Options) => Browser.BrowserService = internal.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<Browser.Browser> = Layer.sync(Browser.Browser, () => make())
