/**
 * The published `toshi` executable (`dist/toshi.mjs`, one file).
 *
 * Why two stages: scripts call `toshi token --raw` in loops, and its goal is at most 2.5x a bare
 * `node -e 0` (about 0.12 s on our machines). The full CLI bundled (Effect, @effect/cli, the AWS
 * SDK clients, undici, jose: about 1.8 MB minified) takes about 0.6 s to start, and merely parsing
 * 1.6 MB of JavaScript costs about 0.15 s (a bundle whose first statement is `process.exit(0)` still
 * takes 0.27 s), whereas a 1.6 MB string literal costs almost nothing. So this entry imports only
 * Node built-ins and the plain-code fast path; the full CLI is embedded as a string by
 * `scripts/bundle.mjs` and compiled only when the fast path does not apply.
 *
 * @internal
 */
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import * as vm from "node:vm"
import { tryFastToken } from "./internal/fastToken.js"
import { tryVersion } from "./internal/version.js"

/** The full CLI (`src/bin.ts`) as CommonJS source, put here by `scripts/bundle.mjs`. */
declare const __TOSHI_FULL_CLI__: string

type Main = (argv: ReadonlyArray<string>) => void

const runFullCli = (code: string): void => {
  const filename = fileURLToPath(import.meta.url)
  const module = { exports: {} as { main?: Main } }
  const compiled = vm.compileFunction(code, ["exports", "require", "module", "__filename", "__dirname"], {
    filename: path.join(path.dirname(filename), "toshi-cli.cjs")
  })
  compiled.call(module.exports, module.exports, createRequire(import.meta.url), module, filename, path.dirname(filename))
  module.exports.main!(process.argv)
}

/**
 * Writes to stdout with a plain `write(2)`: the first use of `process.stdout` builds a stream
 * (tty or pipe) and costs about 10 ms, a large share of what this whole path is allowed.
 */
const print = (text: string): void => {
  const bytes = Buffer.from(text)
  let written = 0
  try {
    while (written < bytes.length) written += fs.writeSync(1, bytes, written)
  } catch (error) {
    // Nobody reads any more (`toshi token | true`): nothing to say, and no stack trace to say it with.
    if ((error as NodeJS.ErrnoException).code === "EPIPE") process.exitCode = 1
    // A full non-blocking pipe (EAGAIN), or anything else: Node's own stream handles the rest.
    else process.stdout.write(bytes.subarray(written))
  }
}

const fast = tryVersion(process.argv) ?? tryFastToken(process.argv, process.env, Date.now())
if (fast !== undefined) {
  print(fast)
} else if (typeof __TOSHI_FULL_CLI__ === "string") {
  runFullCli(__TOSHI_FULL_CLI__)
} else {
  // Unbundled (`tsx src/entry.ts` in development): the sources, as they are. The specifier is a
  // variable so that the bundler leaves it alone rather than inlining the whole CLI here.
  const bin = "./bin.js"
  void (import(bin) as Promise<{ readonly main: Main }>).then((m) => m.main(process.argv))
}
