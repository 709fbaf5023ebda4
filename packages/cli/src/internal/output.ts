import { Jwt, type TokenSet } from "@toshi/core"
import * as DateTime from "effect/DateTime"
import * as Duration from "effect/Duration"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"

/** A secret as people may see it: its first characters and its length, never enough to use it. */
export const mask = (secret: string): string => secret.length <= 12 ? "****" : `${secret.slice(0, 6)}…(${secret.length} chars)`

/** "in 59 min", "2 h ago": how far `at` is from `now`. */
export const relative = (now: DateTime.Utc, at: DateTime.Utc): string => {
  const millis = DateTime.distance(now, at)
  const text = Duration.format(Duration.seconds(Math.round(Math.abs(millis) / 60_000) * 60 || Math.round(Math.abs(millis) / 1000)))
  return millis >= 0 ? `in ${text}` : `${text} ago`
}

/** What `whoami` shows about an identity. */
export interface Identity {
  readonly subject: string | undefined
  readonly username: string | undefined
  readonly email: string | undefined
  readonly clientId: string | undefined
  readonly scopes: ReadonlyArray<string>
  readonly groups: ReadonlyArray<string>
  readonly issuedAt: string | undefined
  readonly expiresAt: string
  readonly valid: boolean
  readonly tokenType: string
}

const str = (value: unknown): string | undefined => (typeof value === "string" && value !== "" ? value : undefined)
const list = (value: unknown): ReadonlyArray<string> =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : typeof value === "string" ? value.split(" ").filter((s) => s !== "") : []

/**
 * The identity a token set stands for, from its claims (read, not verified: the server verifies
 * them; this is for people). The ID token says who; the access token says which client and scopes.
 */
export const identity = (tokens: TokenSet.TokenSet, now: DateTime.Utc): Identity => {
  const claimsOf = (token: Redacted.Redacted<string> | undefined) =>
    token === undefined ? {} : Option.getOrElse(Jwt.unverifiedClaims(Redacted.value(token)), () => ({}))
  const id: Record<string, unknown> = claimsOf(tokens.idToken)
  const access: Record<string, unknown> = tokens.tokenType === "ApiKey" ? {} : claimsOf(tokens.accessToken)
  const aud = Array.isArray(id["aud"]) ? str(id["aud"][0]) : str(id["aud"])
  const scopes = tokens.scope.length > 0 ? tokens.scope : list(access["scope"] ?? access["scp"])
  const iat = typeof (access["iat"] ?? id["iat"]) === "number" ? (access["iat"] ?? id["iat"]) as number : undefined
  return {
    subject: str(id["sub"]) ?? str(access["sub"]),
    username: str(access["username"]) ?? str(id["cognito:username"]) ?? str(id["preferred_username"]) ?? str(access["preferred_username"]),
    email: str(id["email"]) ?? str(access["email"]),
    clientId: str(access["client_id"]) ?? str(id["azp"]) ?? aud ?? str(access["azp"]),
    scopes,
    groups: list(id["cognito:groups"] ?? access["cognito:groups"] ?? id["groups"] ?? access["groups"]),
    issuedAt: iat === undefined ? undefined : DateTime.formatIso(DateTime.unsafeMake(iat * 1000)),
    expiresAt: DateTime.formatIso(tokens.expiresAt),
    valid: DateTime.lessThan(now, tokens.expiresAt),
    tokenType: tokens.tokenType
  }
}

/** Who it is, in one phrase: the email, else the username, else the subject or client. */
export const who = (identity: Identity): string =>
  identity.email ?? identity.username ?? identity.subject ?? identity.clientId ?? "an unnamed identity"

/** The tokens as `whoami` shows them: masked unless asked. */
export const secrets = (tokens: TokenSet.TokenSet, masked: boolean) => {
  const show = (token: Redacted.Redacted<string> | undefined) =>
    token === undefined ? undefined : masked ? mask(Redacted.value(token)) : Redacted.value(token)
  return {
    accessToken: show(tokens.accessToken),
    idToken: show(tokens.idToken),
    refreshToken: show(tokens.refreshToken)
  }
}
