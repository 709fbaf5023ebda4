/**
 * Scopes of a token and the checks on them.
 *
 * @internal
 */

const EMPTY: ReadonlyArray<string> = Object.freeze([])

/** The scopes a token grants: `scope` (space-separated, RFC 8693 / Cognito) or `scp` (an array, as Okta and Entra write it). */
export const ofClaims = (claims: Readonly<Record<string, unknown>>): ReadonlyArray<string> => {
  const scope = claims["scope"]
  if (typeof scope === "string") return scope === "" ? EMPTY : scope.split(" ").filter((s) => s !== "")
  const scp = claims["scp"]
  if (Array.isArray(scp)) return scp.filter((s): s is string => typeof s === "string")
  if (typeof scp === "string") return scp === "" ? EMPTY : scp.split(" ").filter((s) => s !== "")
  return EMPTY
}

/** Scopes that must be present: all of `allOf` and at least one of `anyOf` (when given). */
export interface Requirement {
  readonly anyOf?: ReadonlyArray<string> | undefined
  readonly allOf?: ReadonlyArray<string> | undefined
}

/** The scopes a requirement misses, as words for an error, or `undefined` when it is met. */
export const missing = (granted: ReadonlyArray<string>, requirement: Requirement): string | undefined => {
  const allOf = requirement.allOf
  if (allOf !== undefined) {
    const absent = allOf.filter((scope) => !granted.includes(scope))
    if (absent.length > 0) return `the scope${absent.length > 1 ? "s" : ""} ${absent.join(", ")} ${absent.length > 1 ? "are" : "is"} required`
  }
  const anyOf = requirement.anyOf
  if (anyOf !== undefined && anyOf.length > 0 && !anyOf.some((scope) => granted.includes(scope))) {
    return `one of the scopes ${anyOf.join(", ")} is required`
  }
  return undefined
}

/** What a scope must look like: one of these names, or whatever the predicate accepts (e.g. `s => s.endsWith("/api")`). */
export type Matcher = string | ReadonlyArray<string> | ((scope: string) => boolean)

export const matches = (granted: ReadonlyArray<string>, matcher: Matcher): boolean => {
  if (typeof matcher === "string") return granted.includes(matcher)
  if (typeof matcher === "function") return granted.some(matcher)
  return granted.some((scope) => matcher.includes(scope))
}

export const describeMatcher = (matcher: Matcher): string =>
  typeof matcher === "string" ? matcher : typeof matcher === "function" ? "the API scope" : `one of ${matcher.join(", ")}`
