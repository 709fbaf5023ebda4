import { randomBytes, randomInt, randomUUID } from "node:crypto"
import type { Signer } from "./awsSigner.js"
import {
  AwsError,
  type AwsJson,
  forward,
  type Forward,
  type Handler,
  optionalString,
  randomString,
  requiredString,
  stringMap
} from "./awsWire.js"

/**
 * The part of a Cognito user pool that cognito-local lacks: CUSTOM_AUTH with an emailed one-time
 * code (what the pool's Lambda triggers do in production), and the refresh tokens of those sign-ins.
 * Whatever it does not own goes to the upstream pool, when there is one.
 */
export interface UserPool {
  readonly otpClientId: string
  readonly sentCodes: (username: string) => ReadonlyArray<string>
  readonly revokeAll: () => void
  readonly initiateAuth: Handler
  readonly respondToAuthChallenge: Handler
  readonly revokeToken: Handler
}

interface User {
  readonly username: string
  readonly email: string
  readonly sub: string
}

interface Session {
  readonly user: User
  readonly code: string
  readonly wrongAnswers: number
  readonly expiresAt: number
}

interface RefreshGrant {
  readonly user: User
  readonly clientId: string
  readonly authTime: number
  revoked: boolean
}

// Cognito's own limits for a custom challenge session.
const SESSION_LIFETIME_MS = 3 * 60_000
const MAX_WRONG_ANSWERS = 3
const CLIENT_ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"

const notAuthorized = (message: string) => new AwsError("NotAuthorizedException", message)
const invalidSession = () => notAuthorized("Invalid session for the user, session is expired.")

const maskEmail = (email: string): string => {
  const at = email.indexOf("@")
  return at < 1 ? "***" : `${email[0]}***${email.slice(at)}`
}

export const makeUserPool = (options: {
  readonly otpUsers: ReadonlyArray<string>
  readonly tokenTtl: number
  readonly signer: Signer
  readonly hasUpstream: boolean
}): UserPool => {
  const otpClientId = randomString(26, CLIENT_ID_ALPHABET)
  // Usernames are case-insensitive, as in a pool created with the console's defaults.
  const users = new Map<string, User>(
    options.otpUsers.map((email) => [email.toLowerCase(), { username: email, email, sub: randomUUID() }])
  )
  const sent = new Map<string, Array<string>>()
  const sessions = new Map<string, Session>()
  const refreshGrants = new Map<string, RefreshGrant>()

  /** Hands the request to the upstream pool, or fails as real Cognito would without it. */
  const forwardOr = (error: AwsError): Forward => {
    if (options.hasUpstream) return forward
    throw error
  }

  const challenge = (user: User, code: string, wrongAnswers: number): AwsJson => {
    const now = Date.now()
    for (const [id, session] of sessions) if (session.expiresAt <= now) sessions.delete(id)
    const id = randomBytes(96).toString("base64url")
    sessions.set(id, { user, code, wrongAnswers, expiresAt: now + SESSION_LIFETIME_MS })
    return {
      ChallengeName: "CUSTOM_CHALLENGE",
      Session: id,
      ChallengeParameters: { USERNAME: user.username, email: maskEmail(user.email) }
    }
  }

  const authenticationResult = async (user: User, clientId: string, authTime: number) => {
    const ttl = options.tokenTtl
    const [IdToken, AccessToken] = await Promise.all([
      options.signer.sign({
        sub: user.sub,
        email: user.email,
        email_verified: true,
        "cognito:username": user.username,
        aud: clientId,
        token_use: "id",
        auth_time: authTime,
        jti: randomUUID()
      }, ttl),
      options.signer.sign({
        sub: user.sub,
        client_id: clientId,
        username: user.username,
        token_use: "access",
        scope: "aws.cognito.signin.user.admin",
        auth_time: authTime,
        jti: randomUUID()
      }, ttl)
    ])
    return { AccessToken, IdToken, ExpiresIn: ttl, TokenType: "Bearer" }
  }

  const startCustomAuth = (parameters: Readonly<Record<string, string>>): AwsJson => {
    const username = parameters.USERNAME
    if (username === undefined || username === "") {
      throw new AwsError("InvalidParameterException", "Missing required parameter USERNAME")
    }
    const user = users.get(username.toLowerCase())
    if (user === undefined) throw new AwsError("UserNotFoundException", "User does not exist.")
    const code = String(randomInt(1_000_000)).padStart(6, "0")
    const codes = sent.get(user.username.toLowerCase()) ?? []
    codes.push(code)
    sent.set(user.username.toLowerCase(), codes)
    return challenge(user, code, 0)
  }

  const refresh = async (clientId: string, parameters: Readonly<Record<string, string>>): Promise<AwsJson | Forward> => {
    const token = parameters.REFRESH_TOKEN
    if (token === undefined || token === "") {
      throw new AwsError("InvalidParameterException", "Missing required parameter REFRESH_TOKEN")
    }
    const grant = refreshGrants.get(token)
    // A token it did not issue may be the upstream pool's (a USER_PASSWORD_AUTH sign-in).
    if (grant === undefined) return forwardOr(notAuthorized("Invalid Refresh Token"))
    if (grant.revoked) throw notAuthorized("Refresh Token has been revoked")
    if (grant.clientId !== clientId) throw notAuthorized("Invalid Refresh Token")
    return {
      ChallengeParameters: {},
      AuthenticationResult: await authenticationResult(grant.user, clientId, grant.authTime)
    }
  }

  const initiateAuth: Handler = async ({ body }) => {
    const flow = requiredString(body, "AuthFlow")
    const clientId = requiredString(body, "ClientId")
    const parameters = stringMap(body, "AuthParameters")
    if (flow === "REFRESH_TOKEN_AUTH" || flow === "REFRESH_TOKEN") return refresh(clientId, parameters)
    if (clientId !== otpClientId) {
      return forwardOr(
        flow === "CUSTOM_AUTH"
          ? new AwsError("InvalidParameterException", "Custom auth lambda trigger is not configured for the user pool.")
          : new AwsError("InvalidParameterException", `AuthFlow ${flow} is not supported by this emulator.`)
      )
    }
    if (flow !== "CUSTOM_AUTH") throw new AwsError("InvalidParameterException", `${flow} flow not enabled for this client`)
    return startCustomAuth(parameters)
  }

  const answer = async (session: Session, clientId: string, body: AwsJson): Promise<AwsJson> => {
    if (requiredString(body, "ChallengeName") !== "CUSTOM_CHALLENGE") {
      throw new AwsError("InvalidParameterException", "The session was opened for CUSTOM_CHALLENGE.")
    }
    const responses = stringMap(body, "ChallengeResponses")
    const username = requiredString(responses, "USERNAME")
    const given = requiredString(responses, "ANSWER")
    if (username.toLowerCase() !== session.user.username.toLowerCase()) {
      throw notAuthorized("Invalid session for the user.")
    }
    if (given !== session.code) {
      const wrongAnswers = session.wrongAnswers + 1
      if (wrongAnswers >= MAX_WRONG_ANSWERS) throw notAuthorized("Incorrect username or password.")
      // Cognito asks again with the same code: the person may retry without a new email.
      return challenge(session.user, session.code, wrongAnswers)
    }
    const authTime = Math.floor(Date.now() / 1000)
    const refreshToken = randomBytes(96).toString("base64url")
    refreshGrants.set(refreshToken, { user: session.user, clientId, authTime, revoked: false })
    return {
      ChallengeParameters: {},
      AuthenticationResult: { ...(await authenticationResult(session.user, clientId, authTime)), RefreshToken: refreshToken }
    }
  }

  const respondToAuthChallenge: Handler = async ({ body }) => {
    const clientId = requiredString(body, "ClientId")
    const id = optionalString(body, "Session")
    const session = id === undefined ? undefined : sessions.get(id)
    if (session === undefined) {
      // A session of another client may be the upstream pool's (NEW_PASSWORD_REQUIRED, say).
      if (clientId === otpClientId) throw invalidSession()
      return forwardOr(invalidSession())
    }
    if (clientId !== otpClientId) throw invalidSession()
    // A session answers once, right or wrong: a wrong answer comes back with a new one.
    sessions.delete(id!)
    if (session.expiresAt <= Date.now()) throw invalidSession()
    return answer(session, clientId, body)
  }

  const revokeToken: Handler = async ({ body }) => {
    const token = requiredString(body, "Token")
    requiredString(body, "ClientId")
    const grant = refreshGrants.get(token)
    if (grant === undefined) {
      return forwardOr(
        new AwsError("InvalidParameterException", "RevokeToken of a token this emulator did not issue is not supported by this emulator.")
      )
    }
    grant.revoked = true
    return {}
  }

  return {
    otpClientId,
    sentCodes: (username) => [...(sent.get(username.toLowerCase()) ?? [])],
    revokeAll: () => {
      for (const grant of refreshGrants.values()) grant.revoked = true
    },
    initiateAuth,
    respondToAuthChallenge,
    revokeToken
  }
}
