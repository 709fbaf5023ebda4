import { randomBytes, randomUUID } from "node:crypto"
import { errors, jwtVerify, type JWTVerifyGetKey } from "jose"
import { AwsError, type AwsJson, epochSeconds, type Handler, randomString, requiredString, stringMap } from "./awsWire.js"

/** An identity provider the pool trusts: the key callers use in `Logins`, and how to check its tokens. */
export interface LoginProvider {
  readonly loginKey: string
  readonly issuer: string
  readonly keys: JWTVerifyGetKey
}

export interface IdentityPool {
  readonly getId: Handler
  readonly getCredentialsForIdentity: Handler
}

const UPPER_ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

const invalidLogin = (reason: string) => new AwsError("NotAuthorizedException", `Invalid login token. ${reason}`)

/** The reason a token was refused, worded as Cognito Identity words it. */
const refusal = (error: unknown): string => {
  if (error instanceof errors.JWTExpired) {
    return `Token expired: ${String(error.payload.exp)} >= ${Math.floor(Date.now() / 1000)}`
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === "iss") return "Issuer doesn't match providerName"
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return "Couldn't verify signed token."
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || !(error instanceof errors.JOSEError)) {
    return `Couldn't fetch the identity provider's keys: ${error instanceof Error ? error.message : String(error)}`
  }
  return "Not a valid OpenId Connect identity token."
}

export const makeIdentityPool = (options: {
  readonly region: string
  readonly identityPoolId: string
  readonly credentialsTtl: number
  readonly providers: ReadonlyArray<LoginProvider>
}): IdentityPool => {
  const providers = new Map(options.providers.map((provider) => [provider.loginKey, provider]))
  // One identity per (provider, sub), as Cognito keeps it: the same person gets the same IdentityId.
  const identityOf = new Map<string, string>()
  const identities = new Set<string>()

  /** Verifies one login and returns what identifies its user: the login key and the token's `sub`. */
  const verifyLogin = async (loginKey: string, token: string): Promise<string> => {
    const provider = providers.get(loginKey)
    if (provider === undefined) throw invalidLogin("Token is not from a supported provider of this identity pool.")
    let payload: AwsJson
    try {
      ;({ payload } = await jwtVerify(token, provider.keys, { issuer: provider.issuer, algorithms: ["RS256"] }))
    } catch (error) {
      throw invalidLogin(refusal(error))
    }
    if (payload.token_use !== "id" || typeof payload.sub !== "string") {
      throw invalidLogin("Not a valid OpenId Connect identity token.")
    }
    return `${loginKey} ${payload.sub}`
  }

  const verifyLogins = (body: AwsJson): Promise<Array<string>> => {
    const logins = Object.entries(stringMap(body, "Logins"))
    if (logins.length === 0) {
      throw new AwsError("NotAuthorizedException", "Unauthenticated access is not supported for this identity pool.")
    }
    return Promise.all(logins.map(([loginKey, token]) => verifyLogin(loginKey, token)))
  }

  const getId: Handler = async ({ body }) => {
    const poolId = requiredString(body, "IdentityPoolId")
    if (poolId !== options.identityPoolId) {
      throw new AwsError("ResourceNotFoundException", `IdentityPool '${poolId}' not found.`)
    }
    const users = await verifyLogins(body)
    const identityId = users.map((user) => identityOf.get(user)).find((id) => id !== undefined) ??
      `${options.region}:${randomUUID()}`
    for (const user of users) if (!identityOf.has(user)) identityOf.set(user, identityId)
    identities.add(identityId)
    return { IdentityId: identityId }
  }

  const getCredentialsForIdentity: Handler = async ({ body }) => {
    const identityId = requiredString(body, "IdentityId")
    if (!identities.has(identityId)) {
      throw new AwsError("ResourceNotFoundException", `Identity '${identityId}' not found.`)
    }
    const users = await verifyLogins(body)
    if (users.some((user) => identityOf.get(user) !== identityId)) {
      throw new AwsError(
        "NotAuthorizedException",
        "Logins don't match. Please include at least one valid login for this identity or identity pool."
      )
    }
    return {
      IdentityId: identityId,
      Credentials: {
        AccessKeyId: `ASIA${randomString(16, UPPER_ALPHANUMERIC)}`,
        SecretKey: randomString(40),
        SessionToken: randomBytes(192).toString("base64"),
        Expiration: epochSeconds(Date.now() + options.credentialsTtl * 1000)
      }
    }
  }

  return { getId, getCredentialsForIdentity }
}
