/**
 * The credentials file of the Python toshi-auth tool (`~/.toshi/credentials`), so that the CLI
 * and the Python tool share one login. It holds one identity: every key reads and writes it.
 * Same guarantees as `FileTokenStore`: 0600, atomic writes, a cross-process lock, and a corrupt
 * file reported, never overwritten.
 *
 * @since 0.1.0
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as Path from "@effect/platform/Path"
import { TokenStore } from "@toshi/core"
import type * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import type { Options } from "./FileTokenStore.js"
import * as internal from "./internal/fileStore.js"
import { credentialsFormat } from "./internal/formats.js"

const constructors = internal.constructors(credentialsFormat)

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
