/**
 * Opening a URL in the user's browser, and knowing when there is none to open (an SSH session, a
 * container, CI). `@toshi/node` implements it.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface BrowserService {
  /** Whether a browser can be opened on this machine for this user. */
  readonly available: Effect.Effect<boolean>
  /** Opens the URL; `false` when that did not work (the caller then falls back, e.g. to the device flow). */
  readonly open: (url: string) => Effect.Effect<boolean>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class Browser extends Context.Tag("@toshi/providers/Browser")<Browser, BrowserService>() {}
