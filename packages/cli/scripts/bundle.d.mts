import type { Metafile } from "esbuild"

/** The executable `build` writes: `packages/cli/dist/toshi.mjs`. */
export declare const outfile: string

/** Builds `dist/toshi.mjs` (mode 755). With `metafile`, also returns the full CLI's metafile. */
export declare const build: (options?: { readonly metafile?: boolean }) => Promise<{
  readonly outfile: string
  readonly bytes: number
  readonly fullCliBytes: number
  readonly metafile: Metafile | undefined
}>

/** Builds `dist/toshi.mjs` once per process and returns its path. */
export declare const bundle: () => Promise<string>
