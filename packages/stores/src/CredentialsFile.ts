/**
 * The credentials file of the Python toshi-auth tool (`~/.toshi/credentials`), so that the CLI
 * and the Python tool share one login. It holds one identity: every key reads and writes it.
 * Same guarantees as `FileTokenStore`: 0600, atomic writes, a cross-process lock, and a corrupt
 * file reported, never overwritten.
 *
 * @since 0.1.0
 */
import * as internal from "./internal/fileStore.js"
import { credentialsFormat } from "./internal/formats.js"

const constructors = internal.constructors(credentialsFormat)

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
