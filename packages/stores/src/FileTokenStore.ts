/**
 * Tokens in a JSON file that processes share safely: 0600 in a 0700 directory, every write atomic,
 * renewals serialised across processes by a lock file. Many identities in one file, by key.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as internal from "./internal/fileStore.js"
import { tokenStoreFormat } from "./internal/formats.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How long `withLock` waits for another process before failing with `LockTimeout`. Default 60 seconds. */
  readonly lockTimeout?: Duration.DurationInput | undefined
  /**
   * A lock older than this is taken over even when its owner seems alive (a hung process, or one
   * on another machine sharing the directory). Default 10 minutes.
   */
  readonly staleLockAfter?: Duration.DurationInput | undefined
}

const constructors = internal.constructors(tokenStoreFormat)

/**
 * `make(path, options?)` builds the store; `layer(path, options?)` provides it as the `TokenStore`.
 * Both need the platform's `FileSystem` and `Path` (e.g. `NodeAuth.layer` of `@toshi/node`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make: internal.Constructors["make"] = constructors.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: internal.Constructors["layer"] = constructors.layer
