/**
 * A local Cognito user pool: `cognito-local` in a child process, with a fresh data directory and a
 * free port on 127.0.0.1, seeded through the real AWS SDK with a pool, app clients and users.
 */
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import {
  AdminCreateUserCommand,
  AdminSetUserPasswordCommand,
  CognitoIdentityProviderClient,
  CreateUserPoolClientCommand,
  CreateUserPoolCommand
} from "@aws-sdk/client-cognito-identity-provider"
import type { AwsIdentityProvider } from "./Aws.js"

/**
 * A seeded user of the local pool.
 *
 * @since 0.1.0
 * @category models
 */
export interface CognitoUser {
  readonly username: string
  readonly password: string
  /** Created by an admin with a temporary password: the first login gets NEW_PASSWORD_REQUIRED. */
  readonly mustChangePassword?: boolean
}

/**
 * The running pool: where it is, what was seeded, and how to stop it.
 *
 * @since 0.1.0
 * @category models
 */
export interface LocalCognito {
  /** Where the AWS SDK's endpoint override points: `http://127.0.0.1:<port>`. */
  readonly endpoint: string
  readonly region: string
  readonly userPoolId: string
  /** An app client without a secret, allowing USER_PASSWORD_AUTH and REFRESH_TOKEN_AUTH. */
  readonly clientId: string
  /** The pool's JWKS, as Cognito serves it. */
  readonly jwksUri: string
  readonly users: ReadonlyArray<CognitoUser>
  /**
   * The pool as an Identity Pool provider: pass it to `startAws({ identityProviders })` so that
   * the emulator's Identity Pool trusts this pool's ID tokens under AWS's login key for it.
   */
  readonly identityProvider: AwsIdentityProvider
  readonly stop: () => Promise<void>
}

const require = createRequire(import.meta.url)

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })

const waitForPort = async (port: number, deadline: number) => {
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => {
        socket.end()
        resolve(true)
      })
      socket.once("error", () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`cognito-local did not listen on 127.0.0.1:${port} in time`)
}

/**
 * Starts `cognito-local` and seeds it. The data directory is removed on `stop`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const startCognito = async (options: { readonly region?: string } = {}): Promise<LocalCognito> => {
  const region = options.region ?? "ap-southeast-2"
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "toshi-cognito-"))
  const port = await freePort()
  const bin = path.join(path.dirname(require.resolve("cognito-local/package.json")), "lib", "bin", "start.js")
  // cognito-local listens on all interfaces unless told otherwise: HOST keeps it on loopback.
  const child = spawn(process.execPath, ["--no-warnings", bin], {
    cwd: dir,
    env: { ...process.env, PORT: String(port), HOST: "127.0.0.1", DEBUG: "" },
    stdio: ["ignore", "ignore", "pipe"]
  })
  let stderr = ""
  child.stderr.on("data", (chunk) => (stderr += chunk))
  const stop = async () => {
    if (child.exitCode === null) {
      await new Promise<void>((resolve) => {
        child.once("exit", () => resolve())
        child.kill("SIGTERM")
      })
    }
    fs.rmSync(dir, { recursive: true, force: true })
  }
  try {
    await waitForPort(port, Date.now() + 20_000)
    const endpoint = `http://127.0.0.1:${port}`
    const admin = new CognitoIdentityProviderClient({
      endpoint,
      region,
      credentials: { accessKeyId: "local", secretAccessKey: "local" }
    })
    const pool = await admin.send(new CreateUserPoolCommand({ PoolName: "toshi" }))
    const userPoolId = pool.UserPool!.Id!
    const client = await admin.send(
      new CreateUserPoolClientCommand({
        UserPoolId: userPoolId,
        ClientName: "toshi-scientist",
        ExplicitAuthFlows: ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"]
      })
    )
    const users: Array<CognitoUser> = [
      { username: "ada@example.org", password: "Local-Passw0rd!" },
      { username: "new@example.org", password: "Temporary-1!", mustChangePassword: true }
    ]
    for (const user of users) {
      await admin.send(new AdminCreateUserCommand({
        UserPoolId: userPoolId,
        Username: user.username,
        TemporaryPassword: user.mustChangePassword === true ? user.password : "Temporary-1!",
        MessageAction: "SUPPRESS",
        UserAttributes: [{ Name: "email", Value: user.username }]
      }))
      if (user.mustChangePassword === true) continue
      await admin.send(new AdminSetUserPasswordCommand({
        UserPoolId: userPoolId,
        Username: user.username,
        Password: user.password,
        Permanent: true
      }))
    }
    admin.destroy()
    return {
      endpoint,
      region,
      userPoolId,
      clientId: client.UserPoolClient!.ClientId!,
      jwksUri: `${endpoint}/${userPoolId}/.well-known/jwks.json`,
      users,
      identityProvider: {
        loginKey: `cognito-idp.${region}.amazonaws.com/${userPoolId}`,
        issuer: `${endpoint}/${userPoolId}`,
        jwksUri: `${endpoint}/${userPoolId}/.well-known/jwks.json`
      },
      stop
    }
  } catch (error) {
    await stop()
    throw new Error(`cognito-local could not be started: ${error instanceof Error ? error.message : String(error)}\n${stderr}`)
  }
}
