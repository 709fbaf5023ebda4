import * as Effect from "effect/Effect"
import * as Option from "effect/Option"

/** A value read once and kept, with a way to read it again. */
export interface Memo<A, E, R> {
  /** The kept value, or a read when there is none yet. A failed read is not kept. */
  readonly get: Effect.Effect<A, E, R>
  /** Reads again (e.g. a rotated secret) and keeps the new value. */
  readonly reload: Effect.Effect<A, E, R>
}

/**
 * Keeps the first successful result of `read`: one read at a time, and failures are not
 * remembered, so the next caller reads again (unlike `Effect.cached`, which keeps a failure).
 *
 * @internal
 */
export const successOnce = <A, E, R>(read: Effect.Effect<A, E, R>): Effect.Effect<Memo<A, E, R>> =>
  Effect.map(Effect.makeSemaphore(1), (lock) => {
    let kept = Option.none<A>()
    const load = Effect.tap(read, (value) => Effect.sync(() => (kept = Option.some(value))))
    return {
      get: lock.withPermits(1)(Effect.suspend(() => Option.isSome(kept) ? Effect.succeed(kept.value) : load)),
      reload: lock.withPermits(1)(load)
    }
  })
