/**
 * The built `toshi` as a real process, HOME in a temp directory, against cognito-local, the AWS
 * emulator and the OpenID devserver on 127.0.0.1.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { type DevServer, type LocalAws, type LocalCognito, start, startAws, startCognito } from "@toshi/devserver"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as http from "node:http"
import * as path from "node:path"
import { bundle } from "./bundle.js"
import { home, run, runInTerminal } from "./cli.js"

let bin: string
let cognito: LocalCognito
let aws: LocalAws
let oidc: DevServer
const m2mClient = { clientId: "toshi-m2m", clientSecret: "m2m-secret-1", scopes: ["toshi/read", "toshi/write"] }

beforeAll(async () => {
  const [built, c, o] = await Promise.all([bundle(), startCognito(), start()])
  bin = built
  cognito = c
  oidc = o
  aws = await startAws({
    region: cognito.region,
    otpUsers: ["ada@example.org"],
    m2mClients: [m2mClient],
    secrets: { "toshi/m2m": JSON.stringify({ client_id: m2mClient.clientId, client_secret: m2mClient.clientSecret }) },
    identityProviders: [cognito.identityProvider],
    upstream: cognito.endpoint
  })
}, 120_000)
afterAll(async () => {
  await aws?.stop()
  await cognito?.stop()
  await oidc?.stop()
})

const ada = () => cognito.users[0]!
const authConfig = () => ({
  user_pool_id: cognito.userPoolId,
  region: cognito.region,
  scientist_client_id: cognito.clientId,
  identity_pool_id: aws.identityPoolId
})
/** Every AWS call of the CLI goes to the emulator, which hands the user-pool calls to cognito-local. */
const awsEnv = () => ({ AWS_ENDPOINT_URL: aws.endpoint, AWS_ACCESS_KEY_ID: "local", AWS_SECRET_ACCESS_KEY: "local" })

const toshi = (args: ReadonlyArray<string>, options: Parameters<typeof run>[2]) =>
  run(bin, args, { ...options, env: { ...awsEnv(), ...options.env } })

const credentialsOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, ".toshi", "credentials"), "utf8")) as Record<string, unknown>

/** Approves the device code `toshi login` shows on stderr, once, as the person would in a browser. */
const approveDeviceCode = () => {
  let approved = false
  return {
    approved: () => approved,
    onStderr: (text: string) => {
      const code = /enter the code (\S+)/.exec(text)?.[1]
      if (code === undefined || approved) return
      approved = true
      void oidc.approveDeviceCode(code)
    }
  }
}

/** A logged-in HOME: `toshi login` with the password piped in. */
const loggedIn = async () => {
  const dir = home({ authConfig: authConfig() })
  const result = await toshi(["login", "--username", ada().username, "--password-stdin"], { home: dir, input: `${ada().password}\n` })
  assert.strictEqual(result.code, 0, result.stderr)
  return { dir, result }
}

describe("toshi --help", () => {
  it("lists the commands and the exit codes; each command explains itself; unknown commands are usage errors", async () => {
    const dir = home()
    const help = await toshi(["--help"], { home: dir })
    assert.strictEqual(help.code, 0)
    for (const word of ["login", "logout", "token", "whoami", "aws-creds", "status", "profile", "config", "EXIT CODES", "not logged in"]) {
      assert.include(help.stdout, word)
    }
    // A one-line purpose under the name, and examples that start from nothing.
    assert.match(help.stdout, /^toshi 0\.1\.0 -- log in to an OAuth 2\.0 \/ OpenID Connect issuer or a Cognito user pool/m)
    assert.include(help.stdout, "EXAMPLES")
    assert.include(help.stdout, "toshi profile add work --issuer https://id.example.org --client-id toshi-cli")
    // Piped output is plain text: no ANSI styles from @effect/cli's help or its usage errors.
    assert.notInclude(help.stdout, "\x1b[")
    const login = await toshi(["login", "--help"], { home: dir })
    assert.include(login.stdout, "--password-stdin")
    assert.include(login.stdout, "--relogin")
    for (const flag of ["-p, --profile", "-f, --flow", "-u, --username"]) assert.include(login.stdout, flag)
    // aws-creds' --profile is the AWS profile: -p, which means the toshi profile elsewhere, is not given to it.
    const awsCreds = await toshi(["aws-creds", "--help"], { home: dir })
    assert.include(awsCreds.stdout, "-f, --format")
    assert.notInclude(awsCreds.stdout, "-p, --profile")
    const unknown = await toshi(["frobnicate"], { home: dir, env: { NO_COLOR: "" } })
    assert.strictEqual(unknown.code, 2)
    assert.include(unknown.stderr, "Invalid subcommand")
    assert.notInclude(unknown.stderr, "\x1b[")
    // A terminal keeps the styles, unless NO_COLOR says otherwise.
    const styled = await runInTerminal(bin, ["--help"], { home: dir, env: { NO_COLOR: "" }, answers: [] })
    assert.include(styled.screen, "\x1b[")
    const unstyled = await runInTerminal(bin, ["--help"], { home: dir, answers: [] })
    assert.include(unstyled.screen, "EXIT CODES")
    assert.notInclude(unstyled.screen, "\x1b[")
  })
})

describe("toshi --completions", () => {
  it("the bundle prints a bash script that completes commands and flags; zsh and fish scripts too", async () => {
    const dir = home()
    const script = path.join(dir, "toshi.bash")
    const bash = await toshi(["--completions", "bash"], { home: dir })
    assert.strictEqual(bash.code, 0, bash.stderr)
    fs.writeFileSync(script, bash.stdout)
    const complete = (words: ReadonlyArray<string>) =>
      execFileSync("bash", [
        "-c",
        `source ${JSON.stringify(script)}; COMP_WORDS=(${words.map((w) => JSON.stringify(w)).join(" ")}); ` +
        `COMP_CWORD=${words.length - 1}; _toshi_bash_completions toshi; echo "\${COMPREPLY[*]}"`
      ], { encoding: "utf8" }).trim().split(" ")
    assert.deepStrictEqual(complete(["toshi", "pro"]), ["profile"])
    assert.includeMembers(complete(["toshi", "profile", ""]), ["add", "list", "remove"])
    assert.includeMembers(complete(["toshi", "token", "-"]), ["-p", "-r", "-j", "--raw"])
    for (const shell of ["zsh", "fish"]) {
      const result = await toshi(["--completions", shell], { home: dir })
      assert.strictEqual(result.code, 0, result.stderr)
      assert.include(result.stdout, "config")
    }
  })
})

describe("toshi login, token, whoami, logout (Cognito)", () => {
  it("logs in with a piped password, saves a 0600 Python-compatible file, and says who and until when", async () => {
    const { dir, result } = await loggedIn()
    assert.include(result.stdout, `Logged in as ${ada().username} (profile default)`)
    assert.include(result.stdout, path.join(dir, ".toshi", "credentials"))
    assert.notInclude(result.stdout + result.stderr, ada().password)
    const file = path.join(dir, ".toshi", "credentials")
    assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
    assert.strictEqual(fs.statSync(path.dirname(file)).mode & 0o777, 0o700)
    const saved = credentialsOf(dir)
    assert.typeOf(saved["access_token"], "string")
    assert.typeOf(saved["refresh_token"], "string")
    assert.typeOf(saved["expires_at"], "number")

    const again = await toshi(["login"], { home: dir })
    assert.strictEqual(again.code, 0)
    assert.include(again.stdout, "Already logged in as")
  })

  it("a second process prints the token three ways; stdout has only the token", async () => {
    const { dir } = await loggedIn()
    const saved = credentialsOf(dir)
    const raw = await toshi(["token", "--raw"], { home: dir })
    assert.strictEqual(raw.code, 0, raw.stderr)
    assert.strictEqual(raw.stdout, `${saved["access_token"]}\n`)
    const header = await toshi(["token"], { home: dir })
    assert.strictEqual(header.stdout, `Bearer ${saved["access_token"]}\n`)
    const json = JSON.parse((await toshi(["token", "--json"], { home: dir })).stdout) as Record<string, unknown>
    assert.strictEqual(json["access_token"], saved["access_token"])
    assert.strictEqual(json["expires_at"], saved["expires_at"])
    const both = await toshi(["token", "--raw", "--json"], { home: dir })
    assert.strictEqual(both.code, 2)
  })

  it("a token about to expire is renewed silently: the notice on stderr, the new token on stdout and on disk", async () => {
    const { dir } = await loggedIn()
    const file = path.join(dir, ".toshi", "credentials")
    const saved = credentialsOf(dir)
    // The Python tool's own fields and spelling survive a renewal.
    fs.writeFileSync(file, JSON.stringify({ ...saved, token_type: "bearer", expires_at: Math.floor(Date.now() / 1000) + 10, python_field: 1 }), { mode: 0o600 })
    const renewed = await toshi(["token", "--raw"], { home: dir })
    assert.strictEqual(renewed.code, 0, renewed.stderr)
    assert.include(renewed.stderr, "renewed the session")
    const after = credentialsOf(dir)
    assert.strictEqual(renewed.stdout, `${after["access_token"]}\n`)
    assert.isAbove(after["expires_at"] as number, Math.floor(Date.now() / 1000) + 60)
    assert.strictEqual(after["python_field"], 1)
    assert.strictEqual(after["refresh_token"], saved["refresh_token"])
  })

  it("whoami shows the identity with secrets masked unless asked, as text and JSON", async () => {
    const { dir } = await loggedIn()
    const saved = credentialsOf(dir)
    const text = await toshi(["whoami"], { home: dir })
    assert.strictEqual(text.code, 0, text.stderr)
    assert.include(text.stdout, `Email:         ${ada().username}`)
    assert.include(text.stdout, "valid until")
    assert.include(text.stdout, `Client id:     ${cognito.clientId}`)
    assert.notInclude(text.stdout, saved["access_token"] as string)
    assert.notInclude(text.stdout, saved["refresh_token"] as string)
    const shown = await toshi(["whoami", "--no-mask-secrets"], { home: dir })
    assert.include(shown.stdout, saved["access_token"] as string)
    const json = JSON.parse((await toshi(["whoami", "--json"], { home: dir })).stdout) as Record<string, any>
    assert.strictEqual(json["email"], ada().username)
    assert.strictEqual(json["valid"], true)
    assert.notStrictEqual(json["tokens"]["accessToken"], saved["access_token"])
  })

  it("logout revokes and removes the session; afterwards token says to log in (exit 3)", async () => {
    const { dir } = await loggedIn()
    const out = await toshi(["logout"], { home: dir })
    assert.strictEqual(out.code, 0, out.stderr)
    assert.include(out.stdout, "revoked it at the server")
    assert.isFalse(fs.existsSync(path.join(dir, ".toshi", "credentials")))
    const token = await toshi(["token"], { home: dir })
    assert.strictEqual(token.code, 3)
    assert.include(token.stderr, "toshi login")
    assert.strictEqual(token.stdout, "")
    const again = await toshi(["logout"], { home: dir })
    assert.strictEqual(again.code, 0)
    assert.include(again.stdout, "Already logged out")
  })

  it("a wrong password is exit 4 without the password in any output; no terminal and no --password-stdin fails at once", async () => {
    const dir = home({ authConfig: authConfig() })
    const wrong = await toshi(["login", "--username", ada().username, "--password-stdin"], { home: dir, input: "Not-The-Passw0rd!\n" })
    assert.strictEqual(wrong.code, 4)
    assert.include(wrong.stderr, "wrong username or password")
    assert.notInclude(wrong.stdout + wrong.stderr, "Not-The-Passw0rd!")
    const noTty = await toshi(["login"], { home: dir, timeoutMs: 15_000 })
    assert.strictEqual(noTty.code, 2)
    assert.include(noTty.stderr, "needs a terminal")
  })

  it("configuration errors: a malformed auth_config.json (exit 5) names the file; an unknown profile (exit 2) lists the known ones", async () => {
    const dir = home()
    fs.mkdirSync(path.join(dir, ".toshi"))
    fs.writeFileSync(path.join(dir, ".toshi", "auth_config.json"), "{ nope")
    const malformed = await toshi(["login", "--username", "x", "--password-stdin"], { home: dir, input: "p\n" })
    assert.strictEqual(malformed.code, 5)
    assert.include(malformed.stderr, path.join(dir, ".toshi", "auth_config.json"))
    const missing = await toshi(["login", "--username", "x", "--password-stdin"], { home: home(), input: "p\n" })
    assert.strictEqual(missing.code, 3)
    assert.include(missing.stderr, "toshi config set scientist_client_id")
    const unknown = await toshi(["token", "--profile", "nope"], { home: home({ profiles: { profiles: { work: { issuer: oidc.issuer, client_id: "x" } } } }) })
    assert.strictEqual(unknown.code, 2)
    assert.include(unknown.stderr, "known profiles: default, work")
  })
})

describe("toshi login in a terminal", () => {
  it("asks for the email and a hidden password", async () => {
    const dir = home({ authConfig: authConfig() })
    const result = await runInTerminal(bin, ["login"], {
      home: dir,
      env: awsEnv(),
      answers: [{ when: /Email/, type: () => ada().username }, { when: /Password/, type: () => ada().password }]
    })
    assert.strictEqual(result.code, 0, result.screen)
    assert.include(result.screen, `Logged in as ${ada().username}`)
    assert.notInclude(result.screen, ada().password)
  })

  it("asks for the code Cognito sent by email (CUSTOM_AUTH)", async () => {
    const dir = home({ authConfig: { ...authConfig(), scientist_client_id: aws.otpClientId } })
    const result = await runInTerminal(bin, ["login", "--flow", "otp", "--username", "ada@example.org"], {
      home: dir,
      env: awsEnv(),
      answers: [{ when: /Code sent to/, type: () => aws.sentCodes("ada@example.org").at(-1)! }]
    })
    assert.strictEqual(result.code, 0, result.screen)
    assert.include(result.screen, "Logged in as ada@example.org")
  })

  it("Ctrl-C at the code prompt, after Cognito sent it, cancels with 130 and saves nothing", async () => {
    const dir = home({ authConfig: { ...authConfig(), scientist_client_id: aws.otpClientId } })
    const result = await runInTerminal(bin, ["login", "--flow", "otp", "--username", "ada@example.org"], {
      home: dir,
      env: awsEnv(),
      answers: [{ when: /Code sent to/, type: () => "\x03" }]
    })
    assert.strictEqual(result.code, 130, result.screen)
    assert.include(result.screen, "toshi: cancelled")
    assert.isFalse(fs.existsSync(path.join(dir, ".toshi", "credentials")))
  })
})

describe("toshi aws-creds and status", () => {
  it("prints credential_process JSON and export lines, and writes the AWS profile keeping the rest of the file", async () => {
    const { dir } = await loggedIn()
    const processJson = await toshi(["aws-creds", "--format", "process"], { home: dir })
    assert.strictEqual(processJson.code, 0, processJson.stderr)
    const parsed = JSON.parse(processJson.stdout) as Record<string, unknown>
    assert.strictEqual(parsed["Version"], 1)
    assert.match(parsed["AccessKeyId"] as string, /^ASIA/)
    assert.isAbove(Date.parse(parsed["Expiration"] as string), Date.now())

    const env = await toshi(["aws-creds", "--format", "env"], { home: dir })
    assert.match(env.stdout, /^export AWS_ACCESS_KEY_ID='ASIA/m)
    assert.match(env.stdout, /^export AWS_SESSION_TOKEN=/m)

    fs.mkdirSync(path.join(dir, ".aws"))
    const existing = "# my own notes\n[default]\naws_access_key_id = AKIAOWN\naws_secret_access_key = own\n"
    fs.writeFileSync(path.join(dir, ".aws", "credentials"), existing)
    const file = await toshi(["aws-creds"], { home: dir })
    assert.strictEqual(file.code, 0, file.stderr)
    assert.include(file.stdout, "[toshi]")
    const written = fs.readFileSync(path.join(dir, ".aws", "credentials"), "utf8")
    assert.isTrue(written.startsWith(existing))
    assert.include(written, "[toshi]")
    assert.match(written, /aws_session_token\s*=/)
  })

  it("status lists every profile and its session, as text and JSON", async () => {
    const { dir } = await loggedIn()
    fs.writeFileSync(path.join(dir, ".toshi", "profiles.json"), JSON.stringify({ profiles: { work: { issuer: oidc.issuer, client_id: "x" } } }))
    const text = await toshi(["status"], { home: dir })
    assert.strictEqual(text.code, 0, text.stderr)
    assert.include(text.stdout, `logged in as ${ada().username}`)
    assert.include(text.stdout, "work (oidc")
    assert.include(text.stdout, "not logged in")
    const json = JSON.parse((await toshi(["status", "--json"], { home: dir })).stdout) as Array<Record<string, any>>
    assert.deepStrictEqual(json.map((p) => p["profile"]), ["default", "work"])
    assert.strictEqual(json[0]!["session"]["exists"], true)
    assert.strictEqual(json[1]!["session"]["exists"], false)
    // Data only: flags, times, names and tags, no sentences for a script to parse.
    assert.deepStrictEqual(json.map((p) => p["loggedIn"]), [true, false])
    assert.deepStrictEqual(json[0]!["using"], { source: "SavedLogin" })
    assert.deepStrictEqual(Object.keys(json[0]!["session"]).sort(), ["exists", "expiresAt", "renewable", "user", "valid"])
    assert.notInclude(JSON.stringify(json), "toshi login")
    // Only the named profile, which is not logged in: exit 3, as `gh auth status` does.
    const work = await toshi(["status", "-p", "work", "-j"], { home: dir })
    assert.strictEqual(work.code, 3)
    assert.include(work.stderr, "toshi login -p work")
  })
})

describe("toshi with M2M credentials and an OIDC profile", () => {
  it("token uses the M2M credentials of the environment", async () => {
    const result = await toshi(["token", "--raw"], {
      home: home(),
      env: { NZSHM22_TOSHI_M2M_SECRET_ARN: aws.secretArns["toshi/m2m"]!, NZSHM22_TOSHI_COGNITO_DOMAIN: aws.domain }
    })
    assert.strictEqual(result.code, 0, result.stderr)
    const payload = JSON.parse(Buffer.from(result.stdout.split(".")[1]!, "base64url").toString()) as Record<string, unknown>
    assert.strictEqual(payload["client_id"], m2mClient.clientId)
  })

  it("a device-flow login to a named OIDC profile, approved in another window, then token and logout", async () => {
    const dir = home({ profiles: { profiles: { dev: { issuer: oidc.issuer, client_id: oidc.clients.public.clientId, scope: "openid offline_access" } } } })
    const approver = approveDeviceCode()
    const login = await toshi(["login", "--profile", "dev", "--flow", "device"], { home: dir, onStderr: approver.onStderr })
    assert.isTrue(approver.approved())
    assert.strictEqual(login.code, 0, login.stderr)
    assert.include(login.stdout, "(profile dev)")
    assert.include(login.stdout, path.join(dir, ".toshi", "tokens.json"))
    const token = await toshi(["token", "--raw", "--profile", "dev"], { home: dir })
    assert.strictEqual(token.code, 0, token.stderr)
    assert.isAbove(token.stdout.trim().length, 20)
    const logout = await toshi(["logout", "--profile", "dev"], { home: dir })
    assert.include(logout.stdout, "revoked it at the server")
  })

  it("a browser login to an OIDC profile: the browser $BROWSER names signs in, the loopback receiver takes the code", async () => {
    // The one stand-in is the person at the browser: $BROWSER hands the URL to the test, which
    // signs in on the identity provider's own pages.
    const opened: Array<string> = []
    const relay = http.createServer((request, response) => {
      let body = ""
      request.on("data", (chunk) => (body += chunk))
      request.on("end", () => {
        opened.push(body)
        void oidc.browse(body, { username: oidc.users[0]!.username, password: oidc.users[0]!.password })
        response.end()
      })
    })
    await new Promise<void>((resolve) => relay.listen(0, "127.0.0.1", resolve))
    const dir = home({ profiles: { profiles: { dev: { issuer: oidc.issuer, client_id: oidc.clients.public.clientId, scope: "openid email offline_access" } } } })
    const browser = path.join(dir, "browser.mjs")
    fs.writeFileSync(
      browser,
      `await fetch("http://127.0.0.1:${(relay.address() as import("node:net").AddressInfo).port}/", { method: "POST", body: process.argv[2] })\n`
    )
    try {
      const login = await toshi(["login", "--profile", "dev"], { home: dir, env: { BROWSER: `${process.execPath} ${browser}` } })
      assert.strictEqual(login.code, 0, login.stderr)
      assert.include(login.stdout, `Logged in as ${oidc.users[0]!.email} (profile dev)`)
      assert.strictEqual(opened.length, 1)
      assert.include(opened[0]!, "code_challenge_method=S256")
      // --relogin logs in again although the session is valid; --no-browser takes the device flow.
      const approver = approveDeviceCode()
      const again = await toshi(["login", "--profile", "dev", "--relogin", "--no-browser"], {
        home: dir,
        env: { BROWSER: `${process.execPath} ${browser}` },
        onStderr: approver.onStderr
      })
      assert.strictEqual(again.code, 0, again.stderr)
      assert.isTrue(approver.approved())
      assert.strictEqual(opened.length, 1)
      assert.include(again.stdout, "Logged in as")
    } finally {
      relay.close()
    }
  })
})

describe("toshi whoami and status on a session that cannot be renewed", () => {
  it("whoami shows it as EXPIRED with why on stderr; status --profile shows only that profile", async () => {
    const { dir } = await loggedIn()
    const file = path.join(dir, ".toshi", "credentials")
    const saved = credentialsOf(dir)
    // Revoked at the server, and expired: nothing can renew it.
    const revoked = await toshi(["logout"], { home: dir })
    assert.strictEqual(revoked.code, 0)
    fs.writeFileSync(file, JSON.stringify({ ...saved, expires_at: Math.floor(Date.now() / 1000) - 60 }), { mode: 0o600 })
    const whoami = await toshi(["whoami"], { home: dir })
    assert.strictEqual(whoami.code, 0, whoami.stderr)
    assert.include(whoami.stdout, "EXPIRED until")
    assert.include(whoami.stderr, "Token refresh failed")
    const token = await toshi(["token"], { home: dir })
    assert.strictEqual(token.code, 4)
    assert.strictEqual(token.stdout, "")
    const status = JSON.parse((await toshi(["status", "--json", "--profile", "default"], { home: dir })).stdout) as Array<Record<string, any>>
    assert.strictEqual(status.length, 1)
    assert.strictEqual(status[0]!["session"]["valid"], false)
  })
})
