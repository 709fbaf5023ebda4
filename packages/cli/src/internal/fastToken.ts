/**
 * `toshi token` with a valid saved token, in plain code: no Effect, no schema, no HTTP client. The
 * published entry runs this before compiling the full CLI, so that a script calling `toshi token`
 * in a loop pays for reading one small file rather than for loading the whole command.
 *
 * It is a cache in front of the full command, never a second implementation of it: whenever it is
 * not sure that the full command would print exactly this token (an unknown option, a file it
 * cannot read or does not recognise, a token close to expiry, machine credentials that would take
 * precedence), it returns `undefined` and the full command decides, renews or reports.
 *
 * @internal
 */
// Plain-code modules only: this runs before Effect is loaded (see `src/entry.ts`).
import { usableFor } from "@toshi/core/Lifetime"
import { fromCredentialsFile, fromTokenStore } from "@toshi/stores/SavedToken"
import * as fs from "node:fs"
import * as path from "node:path"
import { formatToken, minimumLifetimeSeconds, type TokenFormat } from "./tokenOutput.js"

/**
 * The text `toshi token` would print for `argv` (as in `process.argv`: the node executable and
 * the script come first), or `undefined` to run the full command. `now` is in epoch milliseconds.
 * Never throws.
 *
 * @internal
 */
export const tryFastToken = (argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv, now: number): string | undefined => {
  try {
    const request = parseArguments(argv.slice(2))
    if (request === undefined) return undefined
    const home = nonEmpty(env["HOME"]) ?? nonEmpty(env["USERPROFILE"])
    if (home === undefined) return undefined
    const directory = path.join(home, ".toshi")
    const profile = request.profile ?? nonEmpty(env["TOSHI_PROFILE"]) ?? defaultProfile
    // The full command refuses to run at all with a malformed settings or profiles file, and
    // refuses a named profile the profiles file does not declare: so must this.
    if (!readsSettings(nonEmpty(env["TOSHI_COGNITO_CONFIG"]) ?? path.join(directory, "auth_config.json"))) return undefined
    if (!isDeclared(profile, nonEmpty(env["TOSHI_PROFILES"]) ?? path.join(directory, "profiles.json"))) return undefined
    const token = profile === defaultProfile
      ? savedLogin(env, directory)
      : fromTokenStore(readJson(path.join(directory, "tokens.json")), profile)
    if (token === undefined || !usableFor(token.expiresAtMillis, now, minimumLifetimeSeconds)) return undefined
    return formatToken({
      accessToken: token.accessToken,
      tokenType: token.tokenType,
      expiresAt: Math.floor(token.expiresAtMillis / 1000),
      scope: token.scope
    }, request.format)
  } catch {
    return undefined
  }
}

const defaultProfile = "default"

/** The profile names `toshi` accepts in `profiles.json`. */
const profileName = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

interface Request {
  readonly format: TokenFormat
  readonly profile: string | undefined
}

/** `token [--raw | --json] [--profile NAME]` (or `-r`, `-j`, `-p`), each at most once, in any order; nothing else. */
const parseArguments = (args: ReadonlyArray<string>): Request | undefined => {
  if (args[0] !== "token") return undefined
  let raw = false
  let json = false
  let profile: string | undefined
  for (let i = 1; i < args.length; i++) {
    const arg = args[i]!
    if ((arg === "--raw" || arg === "-r") && !raw) raw = true
    else if ((arg === "--json" || arg === "-j") && !json) json = true
    else if ((arg === "--profile" || arg === "-p") && profile === undefined && i + 1 < args.length) profile = args[++i]!
    else if (arg.startsWith("--profile=") && profile === undefined) profile = arg.slice("--profile=".length)
    else return undefined
  }
  if (raw && json) return undefined
  if (profile !== undefined && !profileName.test(profile)) return undefined
  return { format: raw ? "raw" : json ? "json" : "header", profile }
}

const nonEmpty = (value: string | undefined): string | undefined => value === undefined || value === "" ? undefined : value

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** The parsed file, or `undefined` if it is missing, unreadable or not JSON. */
const readJson = (file: string): unknown => {
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"))
  } catch {
    return undefined
  }
}

/** An optional file: `absent` if there is none, `undefined` if it cannot be read or is not JSON. */
const readOptionalJson = (file: string): unknown => {
  let text: string
  try {
    text = fs.readFileSync(file, "utf8")
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ENOENT" ? absent : undefined
  }
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

const absent = Symbol("absent")

/** The Cognito settings file (`auth_config.json`), if any, is an object of string settings. */
const readsSettings = (file: string): boolean => {
  const json = readOptionalJson(file)
  if (json === absent) return true
  if (!isObject(json)) return false
  return ["user_pool_id", "region", "scientist_client_id", "cognito_domain", "identity_pool_id"].every((key) =>
    json[key] === undefined || json[key] === null || typeof json[key] === "string"
  )
}

/** The profiles file, if any, is well-formed, and declares `profile` unless it is `default`. */
const isDeclared = (profile: string, file: string): boolean => {
  const json = readOptionalJson(file)
  if (json === absent) return profile === defaultProfile
  if (!isObject(json) || !isObject(json["profiles"]) || defaultProfile in json["profiles"]) return false
  if (profile === defaultProfile) return true
  const entry = Object.hasOwn(json["profiles"], profile) ? json["profiles"][profile] : undefined
  return isObject(entry) && typeof entry["issuer"] === "string" && entry["issuer"] !== "" &&
    typeof entry["client_id"] === "string" && entry["client_id"] !== ""
}

/**
 * The `default` profile: the saved login in `~/.toshi/credentials`, unless machine credentials take
 * precedence over it, or an API key is set beside it (the full command warns that it is unused).
 */
const savedLogin = (env: NodeJS.ProcessEnv, directory: string) =>
  nonEmpty(env["NZSHM22_TOSHI_M2M_SECRET_ARN"]) !== undefined || nonEmpty(env["NZSHM22_TOSHI_API_KEY"]) !== undefined
    ? undefined
    : fromCredentialsFile(readJson(path.join(directory, "credentials")))
