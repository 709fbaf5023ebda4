/**
 * What hooks and the refresh policy are told about a refresh attempt.
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category models
 */
export interface RefreshContext {
  /** The identity being renewed (the provider's key). */
  readonly key: string
  /**
   * Why: no token yet (`missing`), it expired (`expired`), it is inside the refresh-ahead window
   * (`stale`), a caller asked after a 401 (`forced`), or the policy chose a full login (`relogin`).
   */
  readonly reason: "missing" | "expired" | "stale" | "forced" | "relogin"
  /** Who is waiting: a caller of `token`, or the background refresh fiber. */
  readonly source: "caller" | "background"
  /** 1 for the first try, counting up through transient retries. */
  readonly attempt: number
  /** What the provider is asked to do: a full grant, or a refresh-token grant. */
  readonly method: "acquire" | "refresh"
}
