/**
 * Builds the published `toshi` executable, `dist/toshi.mjs`: one file that starts in plain code
 * (`src/entry.ts`, the `toshi token` fast path) and carries the full CLI (`src/bin.ts`, bundled as
 * CommonJS) as a string it compiles only when needed. See `src/entry.ts` for why.
 *
 *   node scripts/bundle.mjs              build
 *   node scripts/bundle.mjs --metafile   build, then print the 10 largest inputs of the full CLI
 *
 * Tests call `bundle()`, which builds once per process.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as esbuild from "esbuild"

const packageDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const packagesDir = path.dirname(packageDir)

/** `toshi --version`, the same in the entry's plain-code answer and in the full CLI. */
const version = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8")).version

/** The executable this script writes. */
export const outfile = path.join(packageDir, "dist", "toshi.mjs")

/**
 * The workspace packages resolve to their compiled `dist/` through their package.json exports:
 * bundle their sources instead, so that the executable does not depend on a prior `tsc -b`.
 */
const workspaceSources = {
  name: "toshi-workspace-sources",
  setup(build) {
    build.onResolve({ filter: /^@toshi\/[a-z-]+(\/[A-Za-z0-9]+)?$/ }, (args) => {
      const [name, module = "index"] = args.path.slice("@toshi/".length).split("/")
      const file = path.join(packagesDir, name, "src", `${module}.ts`)
      return fs.existsSync(file) ? { path: file } : undefined
    })
  }
}

/**
 * Builds `dist/toshi.mjs` (mode 755). With `metafile`, also returns the full CLI's metafile.
 *
 * @param {{ readonly metafile?: boolean }} [options]
 * @returns {Promise<{ outfile: string, bytes: number, fullCliBytes: number, metafile: esbuild.Metafile | undefined }>}
 */
export const build = async (options = {}) => {
  const full = await esbuild.build({
    entryPoints: [path.join(packageDir, "src", "bin.ts")],
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    minify: true,
    // ESM builds where a package offers one (the AWS SDK's `module` field): smaller once tree-shaken.
    mainFields: ["module", "main"],
    legalComments: "none",
    // `import("node:http")` (the AWS SDK loads its HTTP handler lazily) becomes a `require`: code
    // compiled by `vm.compileFunction` has no module loader behind `import()` before Node 20.12.
    supported: { "dynamic-import": false },
    // The full CLI's one `import.meta` is `src/internal/version.ts`'s unbundled fallback, which the
    // version defined here makes dead code: CommonJS has no `import.meta` to give it.
    define: { __TOSHI_VERSION__: JSON.stringify(version), "import.meta.url": "undefined" },
    plugins: [workspaceSources],
    // A native addon cannot be inlined; only downloads use it, and the CLI downloads nothing, so
    // the bundle must not even refer to it (checked after the build).
    external: ["@node-rs/crc32"],
    metafile: options.metafile === true,
    logLevel: "warning",
    write: false
  })
  const code = full.outputFiles[0].text
  if (code.includes("@node-rs/crc32")) throw new Error("the CLI bundle refers to @node-rs/crc32, which it cannot carry")

  const entry = await esbuild.build({
    entryPoints: [path.join(packageDir, "src", "entry.ts")],
    bundle: true,
    format: "esm",
    platform: "node",
    target: "node20",
    // Folds the `typeof __TOSHI_FULL_CLI__` test and drops the development branch; names and
    // layout stay readable in the published file.
    minifySyntax: true,
    banner: { js: "#!/usr/bin/env node" },
    define: { __TOSHI_FULL_CLI__: JSON.stringify(code), __TOSHI_VERSION__: JSON.stringify(version) },
    logLevel: "warning",
    write: false
  })
  const text = entry.outputFiles[0].contents

  // Written beside the target and renamed over it, so that a test process building at the same
  // time as another never runs a half-written file.
  fs.mkdirSync(path.dirname(outfile), { recursive: true })
  const temporary = `${outfile}.${process.pid}.tmp`
  fs.writeFileSync(temporary, text, { mode: 0o755 })
  fs.chmodSync(temporary, 0o755)
  fs.renameSync(temporary, outfile)
  return { outfile, bytes: text.byteLength, fullCliBytes: Buffer.byteLength(code), metafile: full.metafile }
}

let built

/**
 * Builds `dist/toshi.mjs` once per process and returns its path.
 *
 * @returns {Promise<string>}
 */
export const bundle = () => (built ??= build().then((result) => result.outfile))

const kib = (bytes) => `${(bytes / 1024).toFixed(1)} KiB`

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const withMetafile = process.argv.includes("--metafile")
  const result = await build({ metafile: withMetafile })
  console.log(`${path.relative(process.cwd(), result.outfile)}: ${kib(result.bytes)} (full CLI ${kib(result.fullCliBytes)})`)
  if (result.metafile !== undefined) {
    const output = Object.values(result.metafile.outputs)[0]
    const largest = Object.entries(output.inputs)
      .sort(([, a], [, b]) => b.bytesInOutput - a.bytesInOutput)
      .slice(0, 10)
    console.log("largest inputs of the full CLI (bytes in the minified bundle):")
    for (const [input, { bytesInOutput }] of largest) {
      console.log(`  ${kib(bytesInOutput).padStart(10)}  ${input.replace(/^(\.\.\/)*node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")}`)
    }
  }
}
