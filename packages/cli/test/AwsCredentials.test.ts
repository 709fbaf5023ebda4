import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { SystemError } from "@effect/platform/Error"
import { NodeContext } from "@effect/platform-node"
import { afterAll, assert, describe, it } from "@effect/vitest"
import type { IdentityPool } from "@toshi/providers"
import * as ConfigProvider from "effect/ConfigProvider"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Redacted from "effect/Redacted"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
// The module itself rather than the package index, so that these tests do not load the whole CLI.
import * as AwsCredentials from "../src/AwsCredentials.js"

const credentials = (n: number, secret = `secret/${n}+abc`): IdentityPool.Credentials => ({
  identityId: `ap-southeast-2:identity-${n}`,
  accessKeyId: `ASIAEXAMPLE${n}`,
  secretAccessKey: Redacted.make(secret),
  sessionToken: Redacted.make(`IQoJb3JpZ2luX2VjE${n}/token+with/base64==`),
  expiration: DateTime.unsafeMake(`2030-01-02T03:04:0${n}Z`)
})

const keyLines = (c: IdentityPool.Credentials) =>
  `aws_access_key_id = ${c.accessKeyId}\n` +
  `aws_secret_access_key = ${Redacted.value(c.secretAccessKey)}\n` +
  `aws_session_token = ${Redacted.value(c.sessionToken)}\n` +
  `aws_expiration = ${DateTime.formatIso(c.expiration)}\n`

const temps: Array<string> = []
const tempDir = () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-aws-"))
  temps.push(dir)
  return dir
}
afterAll(() => {
  for (const dir of temps) fs.rmSync(dir, { recursive: true, force: true })
})

const write = (file: string, profile: string, c: IdentityPool.Credentials) =>
  AwsCredentials.writeProfile(file, profile, c).pipe(Effect.provide(NodeContext.layer))

/** The AWS SDK's own credential providers, reached through @toshi/providers' AWS clients; no dependency of ours. */
type Provider = (init: Record<string, unknown>) => () => Promise<Record<string, unknown>>
/**
 * The AWS SDK's own credential providers, reached through the dependency chain of
 * `@toshi/providers` (pinned there), so that the test reads our output the way the SDKs do.
 */
const awsSdk = ((): { fromIni: Provider; fromProcess: Provider } => {
  let require = createRequire(fileURLToPath(new URL("../../providers/package.json", import.meta.url)))
  for (const step of ["@aws-sdk/client-cognito-identity", "@aws-sdk/credential-provider-node"]) {
    require = createRequire(require.resolve(step))
  }
  return {
    fromIni: require("@aws-sdk/credential-provider-ini").fromIni,
    fromProcess: require("@aws-sdk/credential-provider-process").fromProcess
  }
})()

describe("AwsCredentials", () => {
  it("process output is one line of credential_process JSON: Version 1, ISO 8601 Expiration", () => {
    const output = AwsCredentials.processJson(credentials(1))
    assert.notInclude(output, "\n")
    const json = JSON.parse(output)
    assert.deepStrictEqual(json, {
      Version: 1,
      AccessKeyId: "ASIAEXAMPLE1",
      SecretAccessKey: "secret/1+abc",
      SessionToken: "IQoJb3JpZ2luX2VjE1/token+with/base64==",
      Expiration: "2030-01-02T03:04:01.000Z"
    })
    assert.strictEqual(new Date(json.Expiration).getTime(), Date.UTC(2030, 0, 2, 3, 4, 1))
  })

  it("the AWS SDK's credential_process provider accepts the process output", async () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, "out.json"), AwsCredentials.processJson(credentials(2)))
    fs.writeFileSync(path.join(dir, "config"), `[profile p]\ncredential_process = cat ${path.join(dir, "out.json")}\n`)
    const got = await awsSdk!.fromProcess({
      profile: "p",
      filepath: path.join(dir, "none"),
      configFilepath: path.join(dir, "config"),
      ignoreCache: true
    })()
    assert.strictEqual(got["accessKeyId"], "ASIAEXAMPLE2")
    assert.strictEqual(got["secretAccessKey"], "secret/2+abc")
    assert.strictEqual(got["sessionToken"], "IQoJb3JpZ2luX2VjE2/token+with/base64==")
    assert.strictEqual((got["expiration"] as Date).toISOString(), "2030-01-02T03:04:02.000Z")
  })

  it("env lines survive a real shell's eval, quotes and all", () => {
    const tricky = `it's "a" $HOME \`id\` \\ $(echo no)`
    const lines = AwsCredentials.envLines(credentials(3, tricky))
    assert.isTrue(lines.endsWith("\n"))
    assert.deepStrictEqual(lines.trimEnd().split("\n").map((line) => line.split("=")[0]), [
      "export AWS_ACCESS_KEY_ID",
      "export AWS_SECRET_ACCESS_KEY",
      "export AWS_SESSION_TOKEN",
      "export AWS_CREDENTIAL_EXPIRATION"
    ])
    const out = execFileSync("sh", [
      "-c",
      `eval "$EXPORTS"; printf '%s\\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN" "$AWS_CREDENTIAL_EXPIRATION"`
    ], { env: { PATH: process.env["PATH"], EXPORTS: lines }, encoding: "utf8" })
    assert.deepStrictEqual(out.split("\n").slice(0, 4), [
      "ASIAEXAMPLE3",
      tricky,
      "IQoJb3JpZ2luX2VjE3/token+with/base64==",
      "2030-01-02T03:04:03.000Z"
    ])
  })

  it.effect("a missing file is created 0600 in a new 0700 directory", () =>
    Effect.gen(function*() {
      const dir = path.join(tempDir(), ".aws")
      const file = path.join(dir, "credentials")
      const result = yield* write(file, "toshi", credentials(1))
      assert.isTrue(result.created)
      assert.strictEqual(fs.readFileSync(file, "utf8"), `[toshi]\n${keyLines(credentials(1))}`)
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)
      assert.strictEqual(fs.statSync(dir).mode & 0o777, 0o700)
      assert.deepStrictEqual(fs.readdirSync(dir), ["credentials"])
      const again = yield* write(file, "toshi", credentials(2))
      assert.isFalse(again.created)
    }))

  const original = [
    "# AWS credentials, kept by hand",
    "; and by toshi",
    "",
    "[default]",
    "aws_access_key_id = AKIADEFAULT",
    "aws_secret_access_key = default/secret",
    "",
    "[toshi]",
    "# written by toshi aws-creds",
    "aws_access_key_id=ASIAOLD",
    "region = ap-southeast-2",
    "aws_secret_access_key = old/secret",
    "aws_session_token = old-token",
    "aws_expiration = 2020-01-01T00:00:00.000Z",
    "",
    "# the work account: do not touch",
    "  ; indented comment",
    "[work]",
    "; inside work",
    "aws_access_key_id = AKIAWORK",
    "aws_secret_access_key = work/secret # trailing",
    "",
    "",
    "# last words"
  ].join("\n") + "\n"

  const updated = (c: IdentityPool.Credentials) =>
    original.replace(
      [
        "aws_access_key_id=ASIAOLD",
        "region = ap-southeast-2",
        "aws_secret_access_key = old/secret",
        "aws_session_token = old-token",
        "aws_expiration = 2020-01-01T00:00:00.000Z\n"
      ].join("\n"),
      [
        `aws_access_key_id = ${c.accessKeyId}`,
        "region = ap-southeast-2",
        `aws_secret_access_key = ${Redacted.value(c.secretAccessKey)}`,
        `aws_session_token = ${Redacted.value(c.sessionToken)}`,
        `aws_expiration = ${DateTime.formatIso(c.expiration)}\n`
      ].join("\n")
    )

  it.effect("only the profile's keys change: other sections, comments and blank lines stay byte for byte", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "credentials")
      fs.writeFileSync(file, original, { mode: 0o644 })
      const result = yield* write(file, "toshi", credentials(1))
      assert.isFalse(result.created)
      const first = fs.readFileSync(file, "utf8")
      assert.notStrictEqual(first, original)
      assert.strictEqual(first, updated(credentials(1)))
      // Outside the [toshi] keys, the text is the original's.
      const head = original.indexOf("aws_access_key_id=ASIAOLD")
      const tail = original.indexOf("aws_expiration = 2020") + "aws_expiration = 2020-01-01T00:00:00.000Z".length
      assert.strictEqual(first.slice(0, head), original.slice(0, head))
      assert.isTrue(first.endsWith(original.slice(tail)))
      // The file was tightened to 0600: it holds live credentials.
      assert.strictEqual(fs.statSync(file).mode & 0o777, 0o600)

      yield* write(file, "toshi", credentials(2))
      const second = fs.readFileSync(file, "utf8")
      assert.strictEqual(second, updated(credentials(2)))
      assert.strictEqual(second.split("\n").length, first.split("\n").length)
      assert.strictEqual(second.match(/^\[toshi\]$/gm)?.length, 1)
    }))

  it.effect("a missing profile is appended after a blank line; a file without a final newline gets one", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "credentials")
      const text = "# mine\n[default]\naws_access_key_id = AKIADEFAULT"
      fs.writeFileSync(file, text)
      yield* write(file, "dev.team", credentials(4))
      assert.strictEqual(fs.readFileSync(file, "utf8"), `${text}\n\n[dev.team]\n${keyLines(credentials(4))}`)
    }))

  it.effect("keys missing from an existing profile go after its last key; Windows line endings are kept", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "credentials")
      const text = "[toshi]\r\n; note\r\nAWS_ACCESS_KEY_ID = OLD\r\naws_access_key_id = OLDER\r\n\r\n# next\r\n[b]\r\nk = v\r\n"
      fs.writeFileSync(file, text)
      yield* write(file, "toshi", credentials(5))
      const c = credentials(5)
      assert.strictEqual(
        fs.readFileSync(file, "utf8"),
        "[toshi]\r\n; note\r\n" +
          `aws_access_key_id = ${c.accessKeyId}\r\n` +
          `aws_secret_access_key = ${Redacted.value(c.secretAccessKey)}\r\n` +
          `aws_session_token = ${Redacted.value(c.sessionToken)}\r\n` +
          `aws_expiration = ${DateTime.formatIso(c.expiration)}\r\n` +
          "\r\n# next\r\n[b]\r\nk = v\r\n"
      )
    }))

  it.effect("a linked credentials file stays a link; its target is updated", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const target = path.join(dir, "dotfiles-credentials")
      const link = path.join(dir, "credentials")
      fs.writeFileSync(target, "[default]\nk = v\n")
      fs.symlinkSync(target, link)
      yield* write(link, "toshi", credentials(6))
      assert.isTrue(fs.lstatSync(link).isSymbolicLink())
      assert.strictEqual(fs.readFileSync(target, "utf8"), `[default]\nk = v\n\n[toshi]\n${keyLines(credentials(6))}`)
    }))

  const corrupt: Array<[string, Uint8Array, string]> = [
    ["a line that is not INI", new TextEncoder().encode("[default]\naws_secret_access_key SECRETVALUE\n"), "line 2"],
    ["an unclosed section header", new TextEncoder().encode("[default]\nk = v\n[toshi\nk = SECRETVALUE\n"), "line 3"],
    ["a binary blob", Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0xff, 0xfe, 0x53]), "UTF-8"],
    ["the profile twice", new TextEncoder().encode("[toshi]\nk = SECRETVALUE\n[a]\n[toshi]\nk = w\n"), "lines 1, 4"]
  ]
  for (const [name, bytes, mentions] of corrupt) {
    it.effect(`a corrupt file (${name}) is reported and left in place`, () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const file = path.join(dir, "credentials")
        fs.writeFileSync(file, bytes, { mode: 0o600 })
        const error = yield* Effect.flip(write(file, "toshi", credentials(1)))
        assert.strictEqual(error._tag, "TokenStoreError")
        assert.strictEqual(error.reason, "Corrupt")
        assert.strictEqual(error.path, file)
        assert.include(error.message, mentions)
        assert.include(error.message, file)
        assert.notInclude(error.message, "SECRETVALUE")
        assert.notInclude(error.message, "secret/1+abc")
        assert.deepStrictEqual(new Uint8Array(fs.readFileSync(file)), bytes)
        assert.deepStrictEqual(fs.readdirSync(dir), ["credentials"])
      }))
  }

  it.effect("a profile name that is not a plain section name is refused before anything is written", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "credentials")
      for (const profile of ["", "a]b", "[x", "x\n[default]", "has space", "a;b", "__proto__"]) {
        const error = yield* Effect.flip(write(file, profile, credentials(1)))
        assert.strictEqual(error.reason, "Unsupported", JSON.stringify(profile))
        assert.include(error.message, "profile name", JSON.stringify(profile))
      }
      assert.isFalse(fs.existsSync(file))
    }))

  it.effect("credentials that would break the file's lines are refused, without showing them", () =>
    Effect.gen(function*() {
      const file = path.join(tempDir(), "credentials")
      const error = yield* Effect.flip(write(file, "toshi", credentials(1, "abc\n[default]\nx")))
      assert.strictEqual(error.reason, "Unsupported")
      assert.include(error.message, "aws_secret_access_key")
      assert.notInclude(error.message, "abc")
      assert.isFalse(fs.existsSync(file))
    }))

  it.effect("a file the user may not read is a Permission error", () =>
    Effect.gen(function*() {
      const denied = new SystemError({ reason: "PermissionDenied", module: "FileSystem", method: "readFile", pathOrDescriptor: "/x" })
      const error = yield* Effect.flip(AwsCredentials.writeProfile("/home/ada/.aws/credentials", "toshi", credentials(1)).pipe(
        Effect.provide(Layer.merge(
          FileSystem.layerNoop({ realPath: (p) => Effect.succeed(p), readFile: () => Effect.fail(denied) }),
          Path.layer
        ))
      ))
      assert.strictEqual(error.reason, "Permission")
      assert.strictEqual(error.path, "/home/ada/.aws/credentials")
    }))

  it.effect("the AWS SDK reads the profile we wrote, and the others as they were", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "credentials")
      fs.writeFileSync(file, original)
      yield* write(file, "toshi", credentials(7))
      const read = (profile: string) =>
        Effect.promise(() =>
          awsSdk!.fromIni({ profile, filepath: file, configFilepath: path.join(dir, "none"), ignoreCache: true })()
        )
      const toshi = yield* read("toshi")
      assert.strictEqual(toshi["accessKeyId"], "ASIAEXAMPLE7")
      assert.strictEqual(toshi["secretAccessKey"], "secret/7+abc")
      assert.strictEqual(toshi["sessionToken"], "IQoJb3JpZ2luX2VjE7/token+with/base64==")
      const work = yield* read("work")
      assert.strictEqual(work["accessKeyId"], "AKIAWORK")
      assert.strictEqual(work["secretAccessKey"], "work/secret")
      const fallback = yield* read("default")
      assert.strictEqual(fallback["accessKeyId"], "AKIADEFAULT")
    }))

  it.effect("the default file is AWS_SHARED_CREDENTIALS_FILE, else ~/.aws/credentials", () =>
    Effect.gen(function*() {
      const withEnv = (env: Record<string, string>) =>
        AwsCredentials.defaultFile.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      assert.strictEqual(yield* withEnv({ HOME: "/home/ada" }), "/home/ada/.aws/credentials")
      assert.strictEqual(yield* withEnv({ HOME: "/home/ada", AWS_SHARED_CREDENTIALS_FILE: "/etc/aws" }), "/etc/aws")
      assert.strictEqual(yield* withEnv({ HOME: "/home/ada", AWS_SHARED_CREDENTIALS_FILE: "~/creds" }), "/home/ada/creds")
      assert.strictEqual(yield* withEnv({ HOME: "/home/ada", AWS_SHARED_CREDENTIALS_FILE: "" }), "/home/ada/.aws/credentials")
      assert.strictEqual(AwsCredentials.defaultProfile, "toshi")
    }).pipe(Effect.provide(Path.layer)))
})
