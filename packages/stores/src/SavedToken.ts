/**
 * The access token of a saved record, read in plain code (no Effect, no schema): from the Python
 * toshi-auth credentials file (`~/.toshi/credentials`) or from an entry of toshi's own token file
 * (`~/.toshi/tokens.json`). For readers that must start fast, such as the CLI's start-up path: a
 * record they do not fully recognise is `undefined`, and the full store (`CredentialsFile`,
 * `FileTokenStore`) decides.
 *
 * @since 0.1.0
 */

/**
 * The parts of a saved token a reader needs to hand it out.
 *
 * @since 0.1.0
 * @category models
 */
export interface SavedToken {
  readonly accessToken: string
  readonly tokenType: string
  /** Epoch milliseconds. */
  readonly expiresAtMillis: number
  readonly scope: ReadonlyArray<string>
}

/**
 * The token of a parsed credentials file: `{ access_token, id_token?, refresh_token?, token_type?,
 * expires_at, scope? }`, `expires_at` in epoch seconds (a number or a numeric string) or a date;
 * without one, the access token's `exp`. `undefined` for anything the credentials file store
 * would not read the same way.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromCredentialsFile = (json: unknown): SavedToken | undefined => {
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

/**
 * The token saved under `key` in a parsed token file (`{ "format": "toshi-token-store", "version":
 * 1, "tokens": { "<key>": { … } } }`). `undefined` for anything the file token store would not
 * read the same way, including a newer version of the format.
 *
 * @since 0.1.0
 * @category decoding
 */
export const fromTokenStore = (json: unknown, key: string): SavedToken | undefined => {
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

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

const malformed = Symbol("malformed")

/** Absent (`undefined`, `null` or `""`), a string, or malformed: as the credentials file store reads it. */
const optionalString = (value: unknown): string | undefined | typeof malformed =>
  value === undefined || value === null || value === "" ? undefined : typeof value === "string" ? value : malformed

const credentialsExpiry = (value: unknown, accessToken: string): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? value * 1000 : undefined
  if (typeof value === "string") return /^\d+(\.\d+)?$/.test(value) ? Number(value) * 1000 : parseDate(value)
  if (value === undefined || value === null) return jwtExpiry(accessToken)
  return undefined
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
