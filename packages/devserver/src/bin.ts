#!/usr/bin/env node
/**
 * `toshi-devserver`: runs the development identity provider until Ctrl-C.
 *
 * It prints the test clients' secrets and the test users' passwords on purpose: they are generated
 * for this run, valid only against this server on 127.0.0.1, and the point is to use them.
 */
import { parseArgs } from "node:util"
import { type DevServer, type DevServerOptions, start } from "./DevServer.js"

const usage = `Usage: toshi-devserver [--port N] [--access-token-ttl S] [--id-token-ttl S]
                       [--refresh-token-ttl S] [--device-code-ttl S] [--json]

Runs a local OpenID Connect provider on 127.0.0.1 until interrupted (Ctrl-C).
  --port N     port to listen on (default 0: any free port)
  --*-ttl S    token lifetimes in seconds
  --json       print one JSON line (issuer, endpoints, clients, users) instead of text
`

const integer = (name: string, value: string | undefined): number | undefined => {
  if (value === undefined) return undefined
  const parsed = Number(value)
  if (!Number.isInteger(parsed)) {
    throw new TypeError(`--${name} must be a whole number (got "${value}")`)
  }
  return parsed
}

const describe = (server: DevServer): string => {
  const lines = [
    `toshi devserver: OpenID Connect provider at ${server.issuer}`,
    "",
    "Endpoints:",
    ...Object.entries(server.endpoints).map(([name, url]) => `  ${name.padEnd(20)} ${url}`),
    "",
    `API resource (JWT audience): ${server.resource}  scopes: read write`,
    "",
    "Clients:",
    `  confidential (client_credentials)      client_id=${server.clients.confidential.clientId} client_secret=${server.clients.confidential.clientSecret}`,
    `  public (code + PKCE, device, refresh)  client_id=${server.clients.public.clientId} redirect_uri=${server.clients.public.redirectUris.join(" ")} (any loopback port)`,
    `  password (password, refresh)           client_id=${server.clients.password.clientId} client_secret=${server.clients.password.clientSecret}`,
    "",
    "Users:",
    ...server.users.map((user) =>
      `  ${user.username.padEnd(8)} password=${user.password} email=${user.email} sub=${user.sub}` +
      (user.totpSecret === undefined ? "" : ` totp_secret=${user.totpSecret} (RFC 6238, 30 s, 6 digits, SHA-1)`)
    ),
    "",
    "Press Ctrl-C to stop."
  ]
  return lines.join("\n")
}

const main = async (): Promise<void> => {
  const { values } = parseArgs({
    options: {
      port: { type: "string" },
      "access-token-ttl": { type: "string" },
      "id-token-ttl": { type: "string" },
      "refresh-token-ttl": { type: "string" },
      "device-code-ttl": { type: "string" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false }
    },
    strict: true
  })
  if (values.help === true) {
    process.stdout.write(usage)
    return
  }
  const options: { -readonly [K in keyof DevServerOptions]: DevServerOptions[K] } = {}
  const set = (key: keyof DevServerOptions, flag: string) => {
    const value = integer(flag, values[flag as keyof typeof values] as string | undefined)
    if (value !== undefined) options[key] = value
  }
  set("port", "port")
  set("accessTokenTtl", "access-token-ttl")
  set("idTokenTtl", "id-token-ttl")
  set("refreshTokenTtl", "refresh-token-ttl")
  set("deviceCodeTtl", "device-code-ttl")

  const server = await start(options)
  if (values.json === true) {
    const { issuer, endpoints, resource, clients, users } = server
    process.stdout.write(`${JSON.stringify({ issuer, endpoints, resource, clients, users })}\n`)
  } else {
    process.stdout.write(`${describe(server)}\n`)
  }

  const shutdown = () => {
    server.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error("toshi devserver: could not stop cleanly:", error)
        process.exit(1)
      }
    )
  }
  process.once("SIGINT", shutdown)
  process.once("SIGTERM", shutdown)
}

main().catch((error: unknown) => {
  console.error(`toshi-devserver: ${error instanceof Error ? error.message : String(error)}`)
  process.stderr.write(usage)
  process.exit(2)
})
