import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { TokenStoreService } from "../TokenStore.js"
import type { TokenSet } from "../TokenSet.js"

/** @internal */
export const makeMemory = (): TokenStoreService => {
  const tokens = new Map<string, TokenSet>()
  const locks = new Map<string, Effect.Semaphore>()
  const lockFor = (key: string): Effect.Semaphore => {
    let lock = locks.get(key)
    if (lock === undefined) {
      lock = Effect.unsafeMakeSemaphore(1)
      locks.set(key, lock)
    }
    return lock
  }
  return {
    load: (key) => Effect.sync(() => Option.fromNullable(tokens.get(key))),
    save: (key, value) => Effect.sync(() => void tokens.set(key, value)),
    clear: (key) => Effect.sync(() => void tokens.delete(key)),
    withLock: (key, effect) => Effect.suspend(() => lockFor(key).withPermits(1)(effect))
  }
}
