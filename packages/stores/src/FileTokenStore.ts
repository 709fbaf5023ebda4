/**
 * Tokens in a JSON file that processes share safely: 0600 in a 0700 directory, every write atomic,
 * renewals serialised across processes by a lock file. Many identities in one file, by key.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { TokenStore } from "@toshi/core"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
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
 * @since 0.1.0
 * @category constructors
 */
export const make: (
  path: string,
  options?: Options
) => Effect.Effect<TokenStore.TokenStoreService, never, FileSystem.FileSystem | Path.Path> = constructors.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: (
  path: string,
  options?: Options
) => Layer.Layer<TokenStore.TokenStore, never, FileSystem.FileSystem | Path.Path> = constructors.layer
