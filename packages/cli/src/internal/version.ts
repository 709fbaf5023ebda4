/**
 * toshi's version, and `toshi --version` answered without the full CLI: the published entry prints
 * it in plain code, exactly as @effect/cli's built-in `--version` of the full CLI does.
 *
 * @internal
 */
import { createRequire } from "node:module"

/** The package.json's version, put here by `scripts/bundle.mjs`; absent when running unbundled. */
declare const __TOSHI_VERSION__: string | undefined

/**
 * The version of `@toshi/cli`. Unbundled (tests, `tsx`), read from its package.json, which is two
 * directories up from both `src/internal` and `dist/internal`.
 *
 * @internal
 */
export const version: string = typeof __TOSHI_VERSION__ === "string"
  ? __TOSHI_VERSION__
  : (createRequire(import.meta.url)("../../package.json") as { readonly version: string }).version

/**
 * What `toshi --version` prints (as `process.argv`: the node executable and the script come
 * first), or `undefined` for any other command line. @effect/cli prints the version as a paragraph
 * (its own line break) through `console.log` (another one).
 *
 * @internal
 */
export const tryVersion = (argv: ReadonlyArray<string>): string | undefined =>
  argv.length === 3 && argv[2] === "--version" ? `${version}\n\n` : undefined
