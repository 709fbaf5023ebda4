import type { AuthError } from "@toshi/core"
import * as Effect from "effect/Effect"

/** What a user callback may return: a value, a Promise of one, or an Effect. */
export type Answer<A> = A | PromiseLike<A> | Effect.Effect<A, AuthError.AuthError>

const isPromiseLike = (u: unknown): u is PromiseLike<unknown> =>
  typeof u === "object" && u !== null && "then" in u && typeof u.then === "function"

/**
 * Calls a user callback that may answer plainly, with a Promise or with an Effect. A throw or a
 * rejection becomes `failed(cause)`; an Effect's own typed failure passes through unchanged.
 *
 * @internal
 */
export const call = <A>(
  f: () => Answer<A>,
  failed: (cause: unknown) => AuthError.AuthError
): Effect.Effect<A, AuthError.AuthError> =>
  Effect.suspend(() => {
    let value: Answer<A>
    try {
      value = f()
    } catch (cause) {
      return Effect.fail(failed(cause))
    }
    if (Effect.isEffect(value)) return value
    if (isPromiseLike(value)) {
      const promise = value
      return Effect.tryPromise({ try: () => Promise.resolve(promise), catch: failed })
    }
    return Effect.succeed(value)
  })
