/**
 * Where token sets live between calls and between processes, keyed by the provider's `key`.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Option from "effect/Option"
import type { TokenStoreError } from "./AuthError.js"
import * as internal from "./internal/memoryStore.js"
import type { TokenSet } from "./TokenSet.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface TokenStoreService {
  readonly load: (key: string) => Effect.Effect<Option.Option<TokenSet>, TokenStoreError>
  readonly save: (key: string, tokens: TokenSet) => Effect.Effect<void, TokenStoreError>
  readonly clear: (key: string) => Effect.Effect<void, TokenStoreError>
  /**
   * Runs `effect` while holding the store's lock for `key`, so that only one holder (fiber,
   * process or machine, as far as the store reaches) renews a given identity at a time.
   */
  readonly withLock: <A, E, R>(
    key: string,
    effect: Effect.Effect<A, E, R>
  ) => Effect.Effect<A, E | TokenStoreError, R>
}

/**
 * @since 0.1.0
 * @category tags
 */
export class TokenStore extends Context.Tag("@toshi/core/TokenStore")<TokenStore, TokenStoreService>() {}

/**
 * An in-memory store. Its lock is a per-key semaphore, so several managers in one process that
 * share it renew an identity once.
 *
 * @since 0.1.0
 * @category constructors
 */
export const makeMemory: () => TokenStoreService = internal.makeMemory

/**
 * The default store: memory only, so importing and using toshi never touches the disk.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerMemory: Layer.Layer<TokenStore> = Layer.sync(TokenStore, makeMemory)

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (service: TokenStoreService): Layer.Layer<TokenStore> => Layer.succeed(TokenStore, service)
