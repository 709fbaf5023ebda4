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
    if (token === undefined || token.expiresAtMillis - now < minimumLifetimeSeconds * 1000) return undefined
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

interface SavedToken {
  readonly accessToken: string
  readonly tokenType: string
  readonly expiresAtMillis: number
  readonly scope: ReadonlyArray<string>
}

const malformed = Symbol("malformed")

/** Absent (`undefined`, `null` or `""`), a string, or malformed: as the credentials file store reads it. */
const optionalString = (value: unknown): string | undefined | typeof malformed =>
  value === undefined || value === null || value === "" ? undefined : typeof value === "string" ? value : malformed

/**
 * The `default` profile: the saved login in `~/.toshi/credentials`, unless machine credentials take
 * precedence over it, or an API key is set beside it (the full command warns that it is unused).
 */
const savedLogin = (env: NodeJS.ProcessEnv, directory: string): SavedToken | undefined =>
  nonEmpty(env["NZSHM22_TOSHI_M2M_SECRET_ARN"]) !== undefined || nonEmpty(env["NZSHM22_TOSHI_API_KEY"]) !== undefined
    ? undefined
    : fromCredentialsFile(readJson(path.join(directory, "credentials")))

/**
 * The Python toshi-auth file: `{ access_token, id_token?, refresh_token?, token_type?, expires_at, scope? }`,
 * `expires_at` in epoch seconds (a number or a numeric string) or a date; without one, the access
 * token's `exp`.
 */
const fromCredentialsFile = (json: unknown): SavedToken | undefined => {
  if (!isObject(json)) return undefined
  const accessToken = json["access_token"]
  if (typeof accessToken !== "string" || accessToken === "") return undefined
  const tokenType = optionalString(json["token_type"])
  const scope = optionalString(json["scope"])
  if (
    tokenType === malformed || scope === malformed ||
    optionalString(json["id_token"]) === malformed || optionalString(json["refresh_token"]) === malformed
  ) return undefined
  const expiresAtMillis = credentialsExpiry(json["expires_at"], accessToken)
  if (expiresAtMillis === undefined) return undefined
  return {
    accessToken,
    // The Python tool writes "bearer" as well as "Bearer": the scheme is case-insensitive.
    tokenType: tokenType === undefined || tokenType.toLowerCase() === "bearer" ? "Bearer" : tokenType,
    expiresAtMillis,
    scope: scope === undefined ? [] : scope.split(" ").filter((s) => s !== "")
  }
}

const credentialsExpiry = (value: unknown, accessToken: string): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value * 1000 : undefined
  if (typeof value === "string") return /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : parseDate(value)
  if (value === undefined || value === null) return jwtExpiry(accessToken)
  return undefined
}

/** toshi's own file: `{ "format": "toshi-token-store", "version": 1, "tokens": { "<profile>": { … } } }`. */
const fromTokenStore = (json: unknown, key: string): SavedToken | undefined => {
  if (!isObject(json) || json["format"] !== "toshi-token-store" || !isObject(json["tokens"])) return undefined
  const version = json["version"]
  if (typeof version !== "number" || version > 1) return undefined
  const entry = Object.hasOwn(json["tokens"], key) ? json["tokens"][key] : undefined
  if (!isObject(entry)) return undefined
  const { accessToken, expiresAt, scope, tokenType } = entry
  if (typeof accessToken !== "string" || accessToken === "" || typeof expiresAt !== "string") return undefined
  if (tokenType !== undefined && typeof tokenType !== "string") return undefined
  if (scope !== undefined && !(Array.isArray(scope) && scope.every((s) => typeof s === "string"))) return undefined
  for (const name of ["refreshToken", "idToken"]) {
    if (entry[name] !== undefined && typeof entry[name] !== "string") return undefined
  }
  for (const name of ["refreshExpiresAt", "issuedAt"]) {
    if (entry[name] !== undefined && (typeof entry[name] !== "string" || parseDate(entry[name]) === undefined)) return undefined
  }
  const expiresAtMillis = parseDate(expiresAt)
  if (expiresAtMillis === undefined) return undefined
  return { accessToken, tokenType: tokenType ?? "Bearer", expiresAtMillis, scope: (scope as Array<string> | undefined) ?? [] }
}

/** A date as Effect's `DateTime` reads one: a date without a zone is UTC. */
const parseDate = (value: string): number | undefined => {
  const millis = Date.parse(/Z|[+-]\d{2}$|[+-]\d{2}:?\d{2}$|\]$/.test(value) ? value : `${value}Z`)
  return Number.isFinite(millis) ? millis : undefined
}

/** The access token's `exp` claim (unverified: it only decides whether to renew), in milliseconds. */
const jwtExpiry = (token: string): number | undefined => {
  const parts = token.split(".")
  if (parts.length !== 3) return undefined
  const payload = parts[1]!.replace(/[\n\r]/g, "")
  if (payload.length % 4 === 1 || !/^[-_A-Z0-9]*?={0,2}$/i.test(payload)) return undefined
  let claims: unknown
  try {
    claims = JSON.parse(Buffer.from(payload, "base64url").toString("utf8"))
  } catch {
    return undefined
  }
  if (!isObject(claims)) return undefined
  const exp = claims["exp"]
  return typeof exp === "number" && Number.isFinite(exp) ? exp * 1000 : undefined
}
