/**
 * Setting toshi up without editing a file: the first-use guidance, `toshi profile` and
 * `toshi config`, run as the built `toshi` in its own HOME. One OpenID devserver on 127.0.0.1
 * proves that a profile added by the command logs in.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type DevServer, start } from "@toshi/devserver"
import * as fs from "node:fs"
import * as path from "node:path"
import { bundle } from "./bundle.js"
import { home, run } from "./cli.js"

let bin: string
let oidc: DevServer

beforeAll(async () => {
  const [built, o] = await Promise.all([bundle(), start()])
  bin = built
  oidc = o
}, 120_000)
afterAll(async () => {
  await oidc?.stop()
})

const toshi = (args: ReadonlyArray<string>, options: Parameters<typeof run>[2]) => run(bin, args, options)
const file = (dir: string, name: string) => path.join(dir, ".toshi", name)
const readJson = (at: string) => JSON.parse(fs.readFileSync(at, "utf8")) as Record<string, any>

describe("toshi with nothing set up", () => {
  it("login, token, whoami and status all say how to set up a profile, generically, and none sends the person to another", async () => {
    const dir = home()
    for (const args of [["login"], ["token"], ["whoami"], ["status"]]) {
      const result = await toshi(args, { home: dir })
      assert.strictEqual(result.code, 3, `${args.join(" ")}: ${result.stderr}`)
      assert.include(result.stderr, "no profile is set up yet", args.join(" "))
      assert.include(result.stderr, "toshi profile add NAME --issuer https://id.example.org --client-id CLIENT_ID")
      assert.include(result.stderr, "toshi config set scientist_client_id")
      // Nothing of one deployment (its variables, its pool) in the first words a newcomer reads.
      assert.notInclude(result.stderr, "NZSHM22")
      assert.notInclude(result.stdout, "NZSHM22")
    }
  })

  it("with a named profile but no default, token names the profile to log in to", async () => {
    const dir = home({ profiles: { profiles: { work: { issuer: oidc.issuer, client_id: "x" } } } })
    const result = await toshi(["token"], { home: dir })
    assert.strictEqual(result.code, 3)
    assert.include(result.stderr, "toshi login -p work")
  })

  it("a Cognito profile missing one setting names the command that sets it", async () => {
    const dir = home({ authConfig: { user_pool_id: "ap-southeast-2_pool" } })
    const result = await toshi(["login", "--username", "a", "--password-stdin"], { home: dir, input: "p\n" })
    assert.strictEqual(result.code, 5, result.stderr)
    assert.include(result.stderr, "`toshi config set scientist_client_id VALUE`")
  })
})

describe("toshi profile", () => {
  it("add, list and remove keep every other entry and key; the file is 0600 in a 0700 directory", async () => {
    const dir = home({ profiles: { profiles: { keep: { issuer: "https://keep.example.org", client_id: "k", extra: 1 } }, note: "mine" } })
    fs.chmodSync(path.join(dir, ".toshi", "profiles.json"), 0o644)
    const added = await toshi(["profile", "add", "work", "-i", oidc.issuer, "-c", "cli", "-s", "openid email", "-f", "device"], { home: dir })
    assert.strictEqual(added.code, 0, added.stderr)
    assert.include(added.stdout, "toshi login -p work")
    const at = file(dir, "profiles.json")
    assert.deepStrictEqual(readJson(at), {
      profiles: {
        keep: { issuer: "https://keep.example.org", client_id: "k", extra: 1 },
        work: { issuer: oidc.issuer, client_id: "cli", scope: "openid email", flow: "device" }
      },
      note: "mine"
    })
    assert.strictEqual(fs.statSync(at).mode & 0o777, 0o600)
    assert.deepStrictEqual(fs.readdirSync(path.join(dir, ".toshi")).sort(), ["profiles.json"], "a temporary file was left behind")

    const list = JSON.parse((await toshi(["profile", "list", "--json"], { home: dir })).stdout) as Array<Record<string, unknown>>
    assert.deepStrictEqual(list.map((p) => p["name"]), ["default", "keep", "work"])
    assert.deepStrictEqual(list[2], { name: "work", provider: "oidc", issuer: oidc.issuer, clientId: "cli", scope: ["openid", "email"], flow: "device" })
    const text = await toshi(["profile", "list"], { home: dir })
    assert.match(text.stdout, /^work\s+oidc\s+http:\/\/127\.0\.0\.1/m)

    const removed = await toshi(["profile", "remove", "keep"], { home: dir })
    assert.strictEqual(removed.code, 0, removed.stderr)
    assert.deepStrictEqual(Object.keys(readJson(at)["profiles"]), ["work"])
    assert.strictEqual(readJson(at)["note"], "mine")
  })

  it("a new ~/.toshi is made 0700; the added profile logs in with the device flow and status then exits 0", async () => {
    const dir = home()
    const added = await toshi(["profile", "add", "dev", "--issuer", oidc.issuer, "--client-id", oidc.clients.public.clientId], { home: dir })
    assert.strictEqual(added.code, 0, added.stderr)
    assert.strictEqual(fs.statSync(path.join(dir, ".toshi")).mode & 0o777, 0o700)
    let approved = false
    const login = await toshi(["login", "-p", "dev", "-f", "device"], {
      home: dir,
      onStderr: (chunk) => {
        const code = /enter the code (\S+)/.exec(chunk)?.[1]
        if (code !== undefined && !approved) {
          approved = true
          void oidc.approveDeviceCode(code)
        }
      }
    })
    assert.strictEqual(login.code, 0, login.stderr)
    // Piped stderr: the code and link as plain lines, and no spinner (no carriage return, no escape codes).
    assert.include(login.stderr, "enter the code")
    assert.notInclude(login.stderr, "\r")
    assert.notInclude(login.stderr, "\x1b[")
    assert.notInclude(login.stderr, " left")
    const status = await toshi(["status", "-p", "dev", "-j"], { home: dir })
    assert.strictEqual(status.code, 0, status.stderr)
    const rows = JSON.parse(status.stdout) as Array<Record<string, any>>
    assert.strictEqual(rows[0]!["loggedIn"], true)
    // profile remove also forgets the saved session.
    const removed = await toshi(["profile", "remove", "dev"], { home: dir })
    assert.include(removed.stdout, "its saved session")
    const tokens = file(dir, "tokens.json")
    assert.isTrue(!fs.existsSync(tokens) || !fs.readFileSync(tokens, "utf8").includes("\"dev\""))
  })

  it("five profile adds at once, in five processes, keep all five profiles", async () => {
    const dir = home()
    const names = ["a", "b", "c", "d", "e"]
    const results = await Promise.all(names.map((name) =>
      toshi(["profile", "add", name, "--issuer", `https://${name}.example.org`, "--client-id", name], { home: dir, timeoutMs: 60_000 })
    ))
    for (const result of results) assert.strictEqual(result.code, 0, result.stderr)
    assert.deepStrictEqual(Object.keys(readJson(file(dir, "profiles.json"))["profiles"]).sort(), names)
    assert.deepStrictEqual(fs.readdirSync(path.join(dir, ".toshi")), ["profiles.json"])
  })

  it("refuses bad input with a usage error (exit 2) and leaves the file as it was", async () => {
    const dir = home({ profiles: { profiles: { work: { issuer: "https://id.example.org", client_id: "w" } } } })
    const at = file(dir, "profiles.json")
    const before = fs.readFileSync(at, "utf8")
    const cases: Array<[ReadonlyArray<string>, string]> = [
      [["profile", "add", "x", "--issuer", "http://id.example.org", "--client-id", "c"], "must use https"],
      [["profile", "add", "x", "--issuer", "not a url", "--client-id", "c"], "is not a URL"],
      [["profile", "add", "default", "--issuer", "https://id.example.org", "--client-id", "c"], "toshi config set"],
      [["profile", "add", "bad/name", "--issuer", "https://id.example.org", "--client-id", "c"], "may only have letters"],
      [["profile", "add", "work", "--issuer", "https://other.example.org", "--client-id", "c"], "--replace"],
      [["profile", "remove", "nope"], "known profiles: default, work"],
      [["profile", "remove", "default"], "cannot be removed"]
    ]
    for (const [args, words] of cases) {
      const result = await toshi(args, { home: dir })
      assert.strictEqual(result.code, 2, `${args.join(" ")}: ${result.stderr}`)
      assert.include(result.stderr, words)
    }
    assert.strictEqual(fs.readFileSync(at, "utf8"), before)
    // --replace does replace, and keeps the rest.
    const replaced = await toshi(["profile", "add", "work", "--issuer", "http://127.0.0.1:9/", "--client-id", "c2", "--replace"], { home: dir })
    assert.strictEqual(replaced.code, 0, replaced.stderr)
    assert.deepStrictEqual(readJson(at)["profiles"]["work"], { issuer: "http://127.0.0.1:9/", client_id: "c2" })
  })

  it("a malformed profiles file is an error naming it (exit 5), and is left untouched", async () => {
    for (const content of ["{ not json", "[1, 2]", JSON.stringify({ profiles: { work: { issuer: 3 } } })]) {
      const dir = home()
      fs.mkdirSync(path.join(dir, ".toshi"))
      const at = file(dir, "profiles.json")
      fs.writeFileSync(at, content)
      const result = await toshi(["profile", "add", "new", "--issuer", "https://id.example.org", "--client-id", "c"], { home: dir })
      assert.strictEqual(result.code, 5, result.stderr)
      assert.include(result.stderr, at)
      assert.strictEqual(fs.readFileSync(at, "utf8"), content)
      assert.strictEqual((await toshi(["profile", "remove", "work"], { home: dir })).code, 5)
      assert.strictEqual(fs.readFileSync(at, "utf8"), content)
    }
  })
})

describe("toshi config", () => {
  it("set keeps the Python tool's format and unknown keys; get prints the value; unset removes it", async () => {
    const dir = home({ authConfig: { user_pool_id: "ap-southeast-2_pool", python_only: { nested: true } } })
    const at = file(dir, "auth_config.json")
    const set = await toshi(["config", "set", "scientist_client_id", "client-123"], { home: dir })
    assert.strictEqual(set.code, 0, set.stderr)
    assert.deepStrictEqual(readJson(at), { user_pool_id: "ap-southeast-2_pool", python_only: { nested: true }, scientist_client_id: "client-123" })
    assert.strictEqual(fs.statSync(at).mode & 0o777, 0o600)
    const get = await toshi(["config", "get", "scientist_client_id"], { home: dir })
    assert.strictEqual(get.stdout, "client-123\n")
    const unset = await toshi(["config", "unset", "user_pool_id"], { home: dir })
    assert.strictEqual(unset.code, 0, unset.stderr)
    assert.deepStrictEqual(readJson(at), { python_only: { nested: true }, scientist_client_id: "client-123" })
    const missing = await toshi(["config", "get", "user_pool_id"], { home: dir })
    assert.strictEqual(missing.code, 5)
    assert.strictEqual(missing.stdout, "")
    assert.include(missing.stderr, "toshi config set user_pool_id VALUE")
  })

  it("TOSHI_COGNITO_CONFIG names the file; a new file's directory is made 0700", async () => {
    const dir = home()
    const at = path.join(dir, "elsewhere", "cognito.json")
    const set = await toshi(["config", "set", "region", "us-west-2"], { home: dir, env: { TOSHI_COGNITO_CONFIG: at } })
    assert.strictEqual(set.code, 0, set.stderr)
    assert.include(set.stdout, at)
    assert.deepStrictEqual(readJson(at), { region: "us-west-2" })
    assert.strictEqual(fs.statSync(path.dirname(at)).mode & 0o777, 0o700)
    assert.isFalse(fs.existsSync(path.join(dir, ".toshi")))
  })

  it("a file that cannot be written is exit 6, saying which and why; the settings as they were stay", async () => {
    const dir = home()
    // A regular file where the directory should be: no user, root included, can write below it.
    fs.writeFileSync(path.join(dir, "not-a-directory"), "")
    const config = await toshi(["config", "set", "region", "us-east-1"], {
      home: dir,
      env: { TOSHI_COGNITO_CONFIG: path.join(dir, "not-a-directory", "auth_config.json") }
    })
    assert.strictEqual(config.code, 6, config.stderr)
    assert.include(config.stderr, `Could not save ${path.join(dir, "not-a-directory", "auth_config.json")}`)
    assert.notInclude(config.stderr, "Token store")
    const profiles = await toshi(["profile", "add", "w", "--issuer", "https://id.example.org", "--client-id", "c"], {
      home: dir,
      env: { TOSHI_PROFILES: path.join(dir, "not-a-directory", "profiles.json") }
    })
    assert.strictEqual(profiles.code, 6, profiles.stderr)
    assert.include(profiles.stderr, "Could not save")
    assert.strictEqual(fs.readFileSync(path.join(dir, "not-a-directory"), "utf8"), "")
  })

  it("list shows each key's value and where it comes from: environment, file, default, or not set", async () => {
    const dir = home({ authConfig: { user_pool_id: "from-file", scientist_client_id: "file-client" } })
    const env = { NZSHM22_TOSHI_COGNITO_SCIENTIST_CLIENT_ID: "env-client" }
    const json = JSON.parse((await toshi(["config", "list", "--json"], { home: dir, env })).stdout) as Array<Record<string, unknown>>
    const at = file(dir, "auth_config.json")
    assert.deepStrictEqual(json, [
      { key: "user_pool_id", value: "from-file", source: "file", variable: "NZSHM22_TOSHI_COGNITO_USER_POOL_ID", file: at },
      { key: "region", value: "ap-southeast-2", source: "default", variable: "NZSHM22_TOSHI_COGNITO_REGION", file: at },
      { key: "scientist_client_id", value: "env-client", source: "environment", variable: "NZSHM22_TOSHI_COGNITO_SCIENTIST_CLIENT_ID", file: at },
      { key: "cognito_domain", value: null, source: "unset", variable: "NZSHM22_TOSHI_COGNITO_DOMAIN", file: at },
      { key: "identity_pool_id", value: null, source: "unset", variable: "NZSHM22_TOSHI_COGNITO_IDENTITY_POOL_ID", file: at }
    ])
    const text = await toshi(["config", "list"], { home: dir, env })
    assert.match(text.stdout, /^scientist_client_id\s+env-client\s+\(environment NZSHM22_TOSHI_COGNITO_SCIENTIST_CLIENT_ID\)$/m)
    assert.match(text.stdout, /^user_pool_id\s+from-file\s+\(file .*auth_config\.json\)$/m)
    // Setting a key the environment overrides says so, on stderr.
    const shadowed = await toshi(["config", "set", "scientist_client_id", "new"], { home: dir, env })
    assert.strictEqual(shadowed.code, 0)
    assert.include(shadowed.stderr, "NZSHM22_TOSHI_COGNITO_SCIENTIST_CLIENT_ID is set in the environment")
  })

  it("an unknown key lists the known ones (exit 2); bad values are refused; the file is left as it was", async () => {
    const dir = home({ authConfig: { region: "ap-southeast-2" } })
    const at = file(dir, "auth_config.json")
    const before = fs.readFileSync(at, "utf8")
    const unknown = await toshi(["config", "set", "client_id", "x"], { home: dir })
    assert.strictEqual(unknown.code, 2)
    assert.include(unknown.stderr, "known settings: user_pool_id, region, scientist_client_id, cognito_domain, identity_pool_id")
    assert.strictEqual((await toshi(["config", "get", "nope"], { home: dir })).code, 2)
    const domain = await toshi(["config", "set", "cognito_domain", "http://auth.example.org"], { home: dir })
    assert.strictEqual(domain.code, 2)
    assert.include(domain.stderr, "https URL")
    assert.strictEqual(fs.readFileSync(at, "utf8"), before)
  })

  it("a malformed settings file is an error naming it (exit 5), and is left untouched", async () => {
    for (const content of ["{ nope", "\"a string\"", JSON.stringify({ region: 7 })]) {
      const dir = home()
      fs.mkdirSync(path.join(dir, ".toshi"))
      const at = file(dir, "auth_config.json")
      fs.writeFileSync(at, content)
      for (const args of [["config", "set", "region", "us-east-1"], ["config", "unset", "region"], ["config", "list"]]) {
        const result = await toshi(args, { home: dir })
        assert.strictEqual(result.code, 5, `${args.join(" ")}: ${result.stderr}`)
        assert.include(result.stderr, at)
      }
      assert.strictEqual(fs.readFileSync(at, "utf8"), content)
    }
  })
})
