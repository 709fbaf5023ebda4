/**
 * toshi as a new user gets it: every package packed as it would be published, installed with npm in
 * an app outside the workspace, beside the app's own `effect` (the lowest 3.x the peer ranges admit,
 * and the latest 3.x), type-checked and run against the packed devserver; the CLI installed
 * globally into a prefix of its own. The app's sources are the templates in `../app`.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../..", import.meta.url))
const templates = fileURLToPath(new URL("../app", import.meta.url))
const packages = ["core", "stores", "providers", "node", "server", "devserver", "cli"] as const
type Package = (typeof packages)[number]
const libraries = ["core", "stores", "providers", "node", "server"] as const

/** The app's own Effect: the floor of toshi's peer ranges, then whatever `effect@^3` is today. */
const variants = [
  {
    name: "lowest",
    effect: "3.22.2",
    install: ["effect@3.22.2", "@effect/platform@0.97.2", "@effect/platform-node@0.108.2", "@effect/sql@0.52.1", "@effect/experimental@0.61.1"]
  },
  { name: "latest", effect: undefined, install: ["effect@^3"] }
] as const

const minutes = (n: number) => n * 60_000

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/**
 * The environment a user's shell would give npm: nothing of the pnpm or npx process running these
 * tests (`npm_config_local_prefix` alone would make npm install into the wrong project). The npm
 * cache and the user's npm configuration stay, so that every install here shares one cache.
 */
const userEnv = (extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => {
  const keep = new Set(["npm_config_cache", "npm_config_cafile", "npm_config_userconfig", "npm_config_globalconfig", "npm_config_registry"])
  const env: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(npm|pnpm)_/i.test(key) && !keep.has(key.toLowerCase())) continue
    if (key === "NODE_OPTIONS" || key.startsWith("VITEST") || key === "TEST" || key === "NODE_ENV") continue
    env[key] = value
  }
  return { ...env, NO_COLOR: "1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...extra }
}

const run = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly input?: string; readonly timeoutMs?: number }
): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? userEnv(), stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk) => (stdout += chunk))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`${command} ${args.join(" ")} did not finish in time\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, options.timeoutMs ?? minutes(5))
    child.once("error", reject)
    child.once("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
    if (options.input !== undefined) child.stdin.write(options.input)
    child.stdin.end()
  })

/** Runs and insists on exit 0, with the output in the failure. */
const ok = async (...args: Parameters<typeof run>): Promise<Result> => {
  const result = await run(...args)
  assert.strictEqual(result.code, 0, `${args[0]} ${args[1].join(" ")} (in ${args[2].cwd})\nstdout: ${result.stdout}\nstderr: ${result.stderr}`)
  return result
}

/** The pnpm running these tests (`pnpm test`), or the one the README names. */
const pnpm = (): readonly [string, ReadonlyArray<string>] => {
  const execpath = process.env["npm_execpath"]
  if (execpath !== undefined && /pnpm/.test(path.basename(execpath))) {
    return /\.[cm]?js$/.test(execpath) ? [process.execPath, [execpath]] : [execpath, []]
  }
  return ["npx", ["-y", "pnpm@12.4.2"]]
}

const npm = (cwd: string, args: ReadonlyArray<string>, timeoutMs = minutes(8)) =>
  ok("npm", [...args, "--no-audit", "--no-fund", "--prefer-offline"], { cwd, timeoutMs })

const writeJson = (file: string, value: unknown) => fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`)

/** Starts a long-running child and resolves with its first line of output, parsed as JSON. */
const startJsonLine = (command: string, args: ReadonlyArray<string>, cwd: string) =>
  new Promise<{ readonly child: ChildProcess; readonly info: Record<string, any> }>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: userEnv(), stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    const timer = setTimeout(() => reject(new Error(`${args.join(" ")} printed nothing in time\nstderr: ${stderr}`)), minutes(2))
    child.stderr.on("data", (chunk) => (stderr += chunk))
    child.stdout.on("data", (chunk) => {
      stdout += chunk
      const end = stdout.indexOf("\n")
      if (end === -1) return
      clearTimeout(timer)
      try {
        resolve({ child, info: JSON.parse(stdout.slice(0, end)) })
      } catch (error) {
        reject(error)
      }
    })
    child.once("exit", (code) => reject(new Error(`${args.join(" ")} exited (${code})\nstderr: ${stderr}`)))
  })

const stopChild = (child: ChildProcess | undefined) =>
  new Promise<void>((resolve) => {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return resolve()
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000)
    child.once("exit", () => {
      clearTimeout(timer)
      resolve()
    })
    child.kill("SIGTERM")
  })

/** The modules a package publishes: each `src/*.ts` but the barrel, `internal/` and the executables. */
const publicModules = (name: Package) =>
  fs.readdirSync(path.join(root, "packages", name, "src"))
    .filter((file) => file.endsWith(".ts") && !["index.ts", "bin.ts", "entry.ts"].includes(file))
    .map((file) => file.slice(0, -3))
    .sort()

let work: string
const tarballs = {} as Record<Package, string>
const contents = {} as Record<Package, ReadonlyArray<string>>
const manifests = {} as Record<Package, Record<string, any>>
let oidc: { readonly child: ChildProcess; readonly info: Record<string, any> } | undefined
let cognito: { readonly child: ChildProcess; readonly info: Record<string, any> } | undefined
const apps: Record<string, string> = {}
let cliPrefix: string

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-published-"))
  const packs = path.join(work, "tarballs")
  fs.mkdirSync(packs)

  // One at a time: each `prepack` builds its package and the ones it references, which share files.
  const [command, prefix] = pnpm()
  for (const name of packages) {
    await ok(command, [...prefix, "pack", "--pack-destination", packs], { cwd: path.join(root, "packages", name), env: process.env, timeoutMs: minutes(3) })
    const { version } = JSON.parse(fs.readFileSync(path.join(root, "packages", name, "package.json"), "utf8"))
    const tarball = path.join(packs, `toshi-${name}-${version}.tgz`)
    assert.isTrue(fs.existsSync(tarball), `pnpm pack wrote ${tarball}`)
    tarballs[name] = tarball
    const listing = await ok("tar", ["tzf", tarball], { cwd: work })
    contents[name] = listing.stdout.split("\n").filter((line) => line !== "" && !line.endsWith("/")).map((line) => line.replace(/^package\//, "")).sort()
    manifests[name] = JSON.parse((await ok("tar", ["xzOf", tarball, "package/package.json"], { cwd: work })).stdout)
  }

  // The devserver (it brings cognito-local: large) once, in a directory of its own; the apps, one
  // per Effect version, and the global CLI install all at the same time, sharing npm's cache.
  const devserverDir = path.join(work, "devserver")
  fs.mkdirSync(devserverDir)
  writeJson(path.join(devserverDir, "package.json"), { name: "devserver-host", private: true, type: "module" })
  fs.copyFileSync(path.join(templates, "devserver.mjs"), path.join(devserverDir, "devserver.mjs"))
  // Each server is kept as soon as it runs, so that `afterAll` stops it whatever fails meanwhile.
  const devserverReady = npm(devserverDir, ["install", tarballs.devserver]).then(() =>
    Promise.all([
      startJsonLine(process.execPath, [path.join(devserverDir, "node_modules", ".bin", "toshi-devserver"), "--json"], devserverDir)
        .then((server) => (oidc = server)),
      startJsonLine(process.execPath, ["devserver.mjs"], devserverDir).then((server) => (cognito = server))
    ])
  )

  const installs = variants.map(async (variant) => {
    const dir = path.join(work, `app-${variant.name}`)
    fs.mkdirSync(dir)
    writeJson(path.join(dir, "package.json"), { name: `app-${variant.name}`, private: true, type: "module" })
    for (const file of ["program.ts", "facade.mjs", "facade.cjs", "tsconfig.json"]) {
      fs.copyFileSync(path.join(templates, file), path.join(dir, file))
    }
    await npm(dir, ["install", ...libraries.map((name) => tarballs[name]), ...variant.install, "typescript@5.9", "@types/node@^20.19"])
    // Each package's README example, as installed, is type-checked with the app.
    fs.mkdirSync(path.join(dir, "readme"))
    for (const name of libraries) {
      const readme = fs.readFileSync(path.join(dir, "node_modules", "@toshi", name, "README.md"), "utf8")
      const examples = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!)
      assert.isNotEmpty(examples, `${name}'s README has an example`)
      examples.forEach((code, i) => fs.writeFileSync(path.join(dir, "readme", `${name}-${i}.ts`), code))
    }
    apps[variant.name] = dir
  })

  cliPrefix = path.join(work, "cli-prefix")
  const cliInstall = npm(work, ["install", "--global", "--prefix", cliPrefix, tarballs.cli])

  await Promise.all([devserverReady, ...installs, cliInstall])
}, minutes(12))

// Three npm installs (the devserver's pulls cognito-local) make a large tree: removing it takes more
// than a minute on a busy 2-core machine, so the hook gets the time it needs.
afterAll(async () => {
  await Promise.all([stopChild(oidc?.child), stopChild(cognito?.child)])
  if (work !== undefined) await fs.promises.rm(work, { recursive: true, force: true })
}, minutes(5))

const appEnv = () => {
  const info = oidc!.info
  return userEnv({
    ISSUER: info["issuer"],
    TOKEN_ENDPOINT: info["endpoints"]["token"],
    JWKS_URI: info["endpoints"]["jwks"],
    RESOURCE: info["resource"],
    CLIENT_ID: info["clients"]["confidential"]["clientId"],
    CLIENT_SECRET: info["clients"]["confidential"]["clientSecret"]
  })
}

describe("the tarballs", () => {
  it("hold package.json, README.md, LICENSE, dist and the src its maps point to: no tests, no build info", () => {
    for (const name of packages.filter((name) => name !== "cli")) {
      const files = contents[name]
      const strays = files.filter((file) => !/^(package\.json|README\.md|LICENSE|dist\/.+|src\/.+)$/.test(file))
      assert.deepStrictEqual(strays, [], `${name}: files outside package.json, README.md, LICENSE, dist, src`)
      assert.deepStrictEqual(files.filter((file) => /tsbuildinfo|(^|\/)test\/|\.test\.|(^|\/)bench\//.test(file)), [], name)
      for (const file of ["README.md", "LICENSE", "dist/index.js", "dist/index.d.ts", "dist/index.d.ts.map", "src/index.ts"]) {
        assert.include(files, file, `${name}'s tarball`)
      }
    }
  })

  it("the CLI's is its bundle alone, with no runtime dependencies, as toshi and toshi-auth", () => {
    assert.deepStrictEqual(contents.cli, ["LICENSE", "README.md", "dist/toshi.mjs", "package.json"])
    const manifest = manifests.cli
    assert.isUndefined(manifest["dependencies"])
    assert.isUndefined(manifest["peerDependencies"])
    assert.deepStrictEqual(manifest["bin"], { toshi: "./dist/toshi.mjs", "toshi-auth": "./dist/toshi.mjs" })
  })

  it("export every public module as a subpath, with types; Effect is a peer, never a dependency", () => {
    for (const name of libraries) {
      const manifest = manifests[name]
      const expected = ["./package.json", ".", ...publicModules(name).map((module) => `./${module}`)].sort()
      assert.deepStrictEqual(Object.keys(manifest["exports"]).sort(), expected, `${name}'s exports`)
      for (const [subpath, target] of Object.entries<any>(manifest["exports"])) {
        if (subpath === "./package.json") continue
        assert.include(contents[name], target.types.replace(/^\.\//, ""), `${name} ${subpath} types`)
        assert.include(contents[name], target.default.replace(/^\.\//, ""), `${name} ${subpath} code`)
      }
      const dependencies = Object.keys(manifest["dependencies"] ?? {})
      assert.deepStrictEqual(dependencies.filter((dep) => dep === "effect" || dep.startsWith("@effect/")), [], `${name}'s dependencies`)
      assert.match(manifest["peerDependencies"]["effect"], /^\^3\./, `${name}'s effect peer`)
      assert.notInclude(JSON.stringify(manifest["dependencies"] ?? {}), "workspace:", `${name}'s dependencies`)
      assert.strictEqual(manifest["engines"]["node"], ">=20.19")
    }
  })
})

describe.each(variants)("an app with effect $name", (variant) => {
  it("has exactly one effect, its own", async () => {
    const dir = apps[variant.name]!
    const found: ReadonlyArray<{ readonly version: string }> = JSON.parse((await npm(dir, ["query", "#effect"])).stdout)
    assert.strictEqual(found.length, 1, `copies of effect: ${found.map((node) => node.version).join(", ")}`)
    if (variant.effect !== undefined) assert.strictEqual(found[0]!.version, variant.effect)
    else assert.match(found[0]!.version, /^3\./)
    await npm(dir, ["ls", "effect", "--all"])
  }, minutes(3))

  it("type-checks (strict, NodeNext) with the README examples, and gets a verified token from the devserver", async () => {
    const dir = apps[variant.name]!
    await ok(process.execPath, [path.join(dir, "node_modules", "typescript", "bin", "tsc"), "-p", "."], { cwd: dir })
    const result = await ok(process.execPath, ["dist/program.js"], { cwd: dir, env: appEnv(), timeoutMs: minutes(1) })
    const printed = JSON.parse(result.stdout.trim())
    assert.strictEqual(printed.tokenType, "Bearer")
    assert.strictEqual(printed.aud, oidc!.info["resource"])
    assert.include(printed.scope, "read")
  }, minutes(3))

  it("runs the Promise facade as an ES module and through require", async () => {
    const dir = apps[variant.name]!
    for (const [file, module] of [["facade.mjs", "esm"], ["facade.cjs", "cjs"]] as const) {
      const result = await ok(process.execPath, [file], { cwd: dir, env: appEnv(), timeoutMs: minutes(1) })
      assert.deepStrictEqual(JSON.parse(result.stdout.trim()), { module, scheme: "Bearer", parts: 3 })
      assert.notInclude(result.stdout + result.stderr, oidc!.info["clients"]["confidential"]["clientSecret"])
    }
  }, minutes(3))
})

describe("the toshi command installed globally", () => {
  const bin = (name: string) => path.join(cliPrefix, "bin", name)

  it("answers --version as toshi and as toshi-auth", async () => {
    for (const name of ["toshi", "toshi-auth"]) {
      const result = await ok(bin(name), ["--version"], { cwd: work })
      assert.include(result.stdout, manifests.cli["version"])
    }
  }, minutes(3))

  it("is small: the bundle, with nothing to install beside it", async () => {
    const installed = path.join(cliPrefix, "lib", "node_modules", "@toshi", "cli")
    assert.deepStrictEqual(fs.readdirSync(installed).sort(), ["LICENSE", "README.md", "dist", "package.json"])
    assert.isFalse(fs.existsSync(path.join(installed, "node_modules")))
    const kib = Number((await ok("du", ["-sk", cliPrefix], { cwd: work })).stdout.split(/\s/)[0])
    // 357 MB before the CLI shipped as its bundle alone.
    assert.isBelow(kib, 5 * 1024, `installed size ${kib} KiB`)
  }, minutes(3))

  it("logs in with a password from stdin and prints the token for scripts", async () => {
    const info = cognito!.info
    const home = path.join(work, "home")
    fs.mkdirSync(path.join(home, ".toshi"), { recursive: true, mode: 0o700 })
    writeJson(path.join(home, ".toshi", "auth_config.json"), {
      user_pool_id: info["userPoolId"],
      region: info["region"],
      scientist_client_id: info["clientId"],
      identity_pool_id: info["identityPoolId"]
    })
    const env = userEnv({ HOME: home, AWS_ENDPOINT_URL: info["endpoint"], AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" })
    const login = await run(bin("toshi"), ["login", "--username", info["username"], "--password-stdin"], {
      cwd: work,
      env,
      input: `${info["password"]}\n`,
      timeoutMs: minutes(1)
    })
    assert.strictEqual(login.code, 0, login.stderr)
    assert.notInclude(login.stdout + login.stderr, info["password"])
    const token = await ok(bin("toshi-auth"), ["token", "--raw"], { cwd: work, env, timeoutMs: minutes(1) })
    assert.strictEqual(token.stdout.trim().split(".").length, 3, "a JWT")
  }, minutes(3))
})
