import { CognitoIdentityClient, GetCredentialsForIdentityCommand, GetIdCommand } from "@aws-sdk/client-cognito-identity"
import {
  type AuthenticationResultType,
  CognitoIdentityProviderClient,
  InitiateAuthCommand,
  RespondToAuthChallengeCommand,
  RevokeTokenCommand
} from "@aws-sdk/client-cognito-identity-provider"
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager"
import { afterAll, assert, beforeAll, describe, it, vi } from "@effect/vitest"
import { type LocalAws, type LocalCognito, startAws, startCognito } from "@toshi/devserver"
import { createRemoteJWKSet, decodeJwt, jwtVerify } from "jose"
import { refusesConnections } from "./net.js"

// Every call below goes through the real AWS SDK v3 clients (or plain fetch) to the emulator on
// 127.0.0.1: nothing is mocked.

const localCredentials = { accessKeyId: "local", secretAccessKey: "local" }
const ADA = "ada@example.org"
const GRACE = "grace@example.org"
const M2M_SECRET_JSON = JSON.stringify({ client_id: "toshi-m2m", client_secret: "s3cret" })

type AwsException = Error & { readonly $metadata?: { readonly httpStatusCode?: number } }

/** The exception a call fails with; fails the test if it succeeds. */
const failure = async (promise: Promise<unknown>): Promise<AwsException> => {
  try {
    await promise
  } catch (error) {
    assert.instanceOf(error, Error)
    return error as AwsException
  }
  return assert.fail("the call succeeded") as never
}

const clientsOf = (aws: LocalAws, region = aws.region) => ({
  secrets: new SecretsManagerClient({ endpoint: aws.endpoint, region, credentials: localCredentials, maxAttempts: 1 }),
  identity: new CognitoIdentityClient({ endpoint: aws.endpoint, region, maxAttempts: 1 }),
  userPool: new CognitoIdentityProviderClient({ endpoint: aws.endpoint, region, maxAttempts: 1 })
})
type Clients = ReturnType<typeof clientsOf>
const destroy = (clients: Clients | undefined) => {
  clients?.secrets.destroy()
  clients?.identity.destroy()
  clients?.userPool.destroy()
}

const startCustomAuth = (aws: LocalAws, clients: Clients, username: string) =>
  clients.userPool.send(
    new InitiateAuthCommand({ AuthFlow: "CUSTOM_AUTH", ClientId: aws.otpClientId, AuthParameters: { USERNAME: username } })
  )

const answer = (aws: LocalAws, clients: Clients, session: string | undefined, username: string, code: string) =>
  clients.userPool.send(
    new RespondToAuthChallengeCommand({
      ChallengeName: "CUSTOM_CHALLENGE",
      ClientId: aws.otpClientId,
      Session: session,
      ChallengeResponses: { USERNAME: username, ANSWER: code }
    })
  )

/** The whole OTP sign-in, reading the code from the emulator's outbox as a person reads their email. */
const signIn = async (aws: LocalAws, clients: Clients, username: string): Promise<AuthenticationResultType> => {
  const started = await startCustomAuth(aws, clients, username)
  const code = aws.sentCodes(username).at(-1)
  assert.isString(code)
  const done = await answer(aws, clients, started.Session, username, code!)
  assert.isDefined(done.AuthenticationResult)
  return done.AuthenticationResult!
}

const refreshWith = (clients: Clients, clientId: string, refreshToken: string | undefined) =>
  clients.userPool.send(
    new InitiateAuthCommand({ AuthFlow: "REFRESH_TOKEN_AUTH", ClientId: clientId, AuthParameters: { REFRESH_TOKEN: refreshToken! } })
  )

const awsJson = (aws: LocalAws, target: string, body: string, headers: Record<string, string> = {}) =>
  fetch(aws.endpoint, {
    method: "POST",
    headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": target, ...headers },
    body
  })

const tokenRequest = async (aws: LocalAws, form: Record<string, string>, basic?: { id: string; secret: string }) => {
  const headers: Record<string, string> = { "content-type": "application/x-www-form-urlencoded" }
  if (basic !== undefined) headers.authorization = `Basic ${Buffer.from(`${basic.id}:${basic.secret}`).toString("base64")}`
  const response = await fetch(`${aws.domain}/oauth2/token`, { method: "POST", headers, body: new URLSearchParams(form) })
  return { status: response.status, contentType: response.headers.get("content-type"), body: (await response.json()) as Record<string, unknown> }
}

/** Changes one character in the middle of a JWT part (0 header, 1 payload, 2 signature). */
const tamper = (jwt: string, part: number): string => {
  const parts = jwt.split(".")
  const target = parts[part]!
  const at = Math.floor(target.length / 2)
  parts[part] = `${target.slice(0, at)}${target[at] === "A" ? "B" : "A"}${target.slice(at + 1)}`
  return parts.join(".")
}

describe("AWS emulator", () => {
  let aws: LocalAws
  let clients: Clients

  beforeAll(async () => {
    aws = await startAws({ secrets: { "toshi/m2m": M2M_SECRET_JSON }, otpUsers: [ADA, GRACE], credentialsTtl: 900 })
    clients = clientsOf(aws)
  })

  afterAll(async () => {
    destroy(clients)
    await aws?.stop()
  })

  describe("Secrets Manager", () => {
    it("returns a secret by name and by ARN", async () => {
      const arn = aws.secretArns["toshi/m2m"]!
      assert.match(arn, /^arn:aws:secretsmanager:ap-southeast-2:123456789012:secret:toshi\/m2m-[A-Za-z0-9]{6}$/)
      const byName = await clients.secrets.send(new GetSecretValueCommand({ SecretId: "toshi/m2m" }))
      assert.strictEqual(byName.SecretString, M2M_SECRET_JSON)
      assert.strictEqual(byName.ARN, arn)
      assert.strictEqual(byName.Name, "toshi/m2m")
      assert.deepStrictEqual(byName.VersionStages, ["AWSCURRENT"])
      assert.instanceOf(byName.CreatedDate, Date)
      assert.isBelow(Math.abs(byName.CreatedDate!.getTime() - Date.now()), 60_000)
      const byArn = await clients.secrets.send(new GetSecretValueCommand({ SecretId: arn }))
      assert.strictEqual(byArn.SecretString, M2M_SECRET_JSON)
      assert.strictEqual(byArn.VersionId, byName.VersionId)
    })

    it("answers ResourceNotFoundException for an unknown or deleted secret, and keeps the ARN of a replaced one", async () => {
      const unknown = await failure(clients.secrets.send(new GetSecretValueCommand({ SecretId: "no/such/secret" })))
      assert.strictEqual(unknown.name, "ResourceNotFoundException")
      assert.strictEqual(unknown.message, "Secrets Manager can't find the specified secret.")
      assert.strictEqual(unknown.$metadata?.httpStatusCode, 400)

      const arn = aws.setSecret("rotating", "v1")
      assert.strictEqual(aws.setSecret("rotating", "v2"), arn)
      const current = await clients.secrets.send(new GetSecretValueCommand({ SecretId: arn }))
      assert.strictEqual(current.SecretString, "v2")
      aws.deleteSecret("rotating")
      const deleted = await failure(clients.secrets.send(new GetSecretValueCommand({ SecretId: arn })))
      assert.strictEqual(deleted.name, "ResourceNotFoundException")
    })

    it("refuses an unsigned request as real AWS does", async () => {
      const response = await awsJson(aws, "secretsmanager.GetSecretValue", JSON.stringify({ SecretId: "toshi/m2m" }))
      assert.strictEqual(response.status, 400)
      assert.strictEqual(response.headers.get("x-amzn-errortype"), "UnrecognizedClientException")
      assert.strictEqual(response.headers.get("content-type"), "application/x-amz-json-1.1")
      assert.deepStrictEqual(await response.json(), {
        __type: "UnrecognizedClientException",
        message: "The security token included in the request is invalid."
      })
    })

    it("records the region of each request's SigV4 scope", async () => {
      const west = clientsOf(aws, "us-west-2")
      try {
        aws.resetCounts()
        await west.secrets.send(new GetSecretValueCommand({ SecretId: "toshi/m2m" }))
        await clients.secrets.send(new GetSecretValueCommand({ SecretId: "toshi/m2m" }))
        await startCustomAuth(aws, clients, ADA)
        assert.deepStrictEqual(aws.requests(), [
          { operation: "GetSecretValue", region: "us-west-2" },
          { operation: "GetSecretValue", region: "ap-southeast-2" },
          // InitiateAuth is unsigned in AWS, and the SDK sends it so.
          { operation: "InitiateAuth", region: undefined }
        ])
        assert.deepStrictEqual(aws.counts(), { GetSecretValue: 2, InitiateAuth: 1 })
      } finally {
        destroy(west)
      }
    })

    it("fails the next requests with an injected error, then recovers", async () => {
      aws.failNext("GetSecretValue", { type: "ThrottlingException", message: "Rate exceeded" })
      const throttled = await failure(clients.secrets.send(new GetSecretValueCommand({ SecretId: "toshi/m2m" })))
      assert.strictEqual(throttled.name, "ThrottlingException")
      assert.strictEqual(throttled.message, "Rate exceeded")
      assert.strictEqual(throttled.$metadata?.httpStatusCode, 400)

      aws.failNext("GetSecretValue", { type: "InternalFailure", status: 500 }, 2)
      for (let i = 0; i < 2; i++) {
        const internal = await failure(clients.secrets.send(new GetSecretValueCommand({ SecretId: "toshi/m2m" })))
        assert.strictEqual(internal.name, "InternalFailure")
        assert.strictEqual(internal.$metadata?.httpStatusCode, 500)
      }
      const recovered = await clients.secrets.send(new GetSecretValueCommand({ SecretId: "toshi/m2m" }))
      assert.strictEqual(recovered.SecretString, M2M_SECRET_JSON)
    })
  })

  describe("the wire", () => {
    it("answers UnknownOperationException for an unknown target and SerializationException for bad JSON", async () => {
      const unknown = await awsJson(aws, "secretsmanager.ListSecrets", "{}", { authorization: "AWS4-HMAC-SHA256 x" })
      assert.strictEqual(unknown.status, 400)
      assert.strictEqual(unknown.headers.get("x-amzn-errortype"), "UnknownOperationException")
      assert.strictEqual(((await unknown.json()) as { __type: string }).__type, "UnknownOperationException")

      const malformed = await awsJson(aws, "AWSCognitoIdentityService.GetId", "{not json")
      assert.strictEqual(malformed.status, 400)
      assert.strictEqual(malformed.headers.get("x-amzn-errortype"), "SerializationException")
    })

    it("binds 127.0.0.1 only: other loopback addresses are refused", async () => {
      const { hostname, port } = new URL(aws.endpoint)
      assert.strictEqual(hostname, "127.0.0.1")
      assert.isFalse(await refusesConnections("127.0.0.1", Number(port)))
      // A wildcard bind (0.0.0.0 or ::) would accept these too.
      assert.isTrue(await refusesConnections("127.0.0.2", Number(port)))
      assert.isTrue(await refusesConnections("::1", Number(port)))
    })
  })

  describe("user pool CUSTOM_AUTH", () => {
    it("signs in with the emailed code, and the tokens verify against the served JWKS", async () => {
      const started = await startCustomAuth(aws, clients, ADA)
      assert.strictEqual(started.ChallengeName, "CUSTOM_CHALLENGE")
      assert.deepStrictEqual(started.ChallengeParameters, { USERNAME: ADA, email: "a***@example.org" })
      const codes = aws.sentCodes(ADA)
      assert.match(codes.at(-1)!, /^\d{6}$/)

      const done = await answer(aws, clients, started.Session, ADA, codes.at(-1)!)
      const result = done.AuthenticationResult!
      assert.strictEqual(result.ExpiresIn, 3600)
      assert.strictEqual(result.TokenType, "Bearer")
      assert.isString(result.RefreshToken)
      assert.notStrictEqual(result.RefreshToken!.split(".").length, 3, "the refresh token is opaque, not a JWT")

      const jwks = createRemoteJWKSet(new URL(aws.jwksUri))
      const id = await jwtVerify(result.IdToken!, jwks, { issuer: aws.issuer, audience: aws.otpClientId })
      assert.strictEqual(id.protectedHeader.alg, "RS256")
      assert.strictEqual(id.payload.email, ADA)
      assert.strictEqual(id.payload.token_use, "id")
      assert.strictEqual(id.payload["cognito:username"], ADA)
      assert.strictEqual(id.payload.exp! - id.payload.iat!, 3600)
      const access = await jwtVerify(result.AccessToken!, jwks, { issuer: aws.issuer })
      assert.strictEqual(access.payload.token_use, "access")
      assert.strictEqual(access.payload.client_id, aws.otpClientId)
      assert.strictEqual(access.payload.sub, id.payload.sub)
      assert.strictEqual(access.payload.scope, "aws.cognito.signin.user.admin")

      // The same person keeps the same sub; the session was spent.
      const again = decodeJwt((await signIn(aws, clients, ADA)).IdToken!)
      assert.strictEqual(again.sub, id.payload.sub)
      const replayed = await failure(answer(aws, clients, started.Session, ADA, codes.at(-1)!))
      assert.strictEqual(replayed.name, "NotAuthorizedException")
      assert.strictEqual(replayed.message, "Invalid session for the user, session is expired.")
    })

    it("asks again after a wrong code, and refuses the third wrong answer", async () => {
      const sentBefore = aws.sentCodes(GRACE).length
      const started = await startCustomAuth(aws, clients, GRACE)
      const code = aws.sentCodes(GRACE).at(-1)!
      const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, "0")

      const second = await answer(aws, clients, started.Session, GRACE, wrong)
      assert.strictEqual(second.ChallengeName, "CUSTOM_CHALLENGE")
      assert.isUndefined(second.AuthenticationResult)
      assert.isString(second.Session)
      assert.notStrictEqual(second.Session, started.Session)
      const third = await answer(aws, clients, second.Session, GRACE, wrong)
      assert.strictEqual(third.ChallengeName, "CUSTOM_CHALLENGE")
      const refused = await failure(answer(aws, clients, third.Session, GRACE, wrong))
      assert.strictEqual(refused.name, "NotAuthorizedException")
      assert.strictEqual(refused.message, "Incorrect username or password.")
      assert.strictEqual(aws.sentCodes(GRACE).length, sentBefore + 1, "wrong answers do not send new codes")

      // A right answer after one wrong one still signs in, with the code first sent.
      const retry = await startCustomAuth(aws, clients, GRACE)
      const retryCode = aws.sentCodes(GRACE).at(-1)!
      const asked = await answer(aws, clients, retry.Session, GRACE, retryCode === "000000" ? "000001" : "000000")
      const signedIn = await answer(aws, clients, asked.Session, GRACE, retryCode)
      assert.isString(signedIn.AuthenticationResult?.IdToken)
    })

    it("refuses an answer after the session's 3 minutes", async () => {
      const started = await startCustomAuth(aws, clients, ADA)
      const code = aws.sentCodes(ADA).at(-1)!
      // Only Date is faked: the emulator runs in this process and reads the same clock.
      vi.useFakeTimers({ toFake: ["Date"] })
      try {
        vi.setSystemTime(Date.now() + 3 * 60_000 + 1_000)
        const late = await failure(answer(aws, clients, started.Session, ADA, code))
        assert.strictEqual(late.name, "NotAuthorizedException")
        assert.strictEqual(late.message, "Invalid session for the user, session is expired.")
      } finally {
        vi.useRealTimers()
      }
    })

    it("answers UserNotFoundException for an unknown user", async () => {
      const error = await failure(startCustomAuth(aws, clients, "nobody@example.org"))
      assert.strictEqual(error.name, "UserNotFoundException")
      assert.strictEqual(error.message, "User does not exist.")
    })

    it("refreshes with its refresh token until the token is revoked", async () => {
      const first = await signIn(aws, clients, ADA)
      const refreshed = await refreshWith(clients, aws.otpClientId, first.RefreshToken)
      assert.isString(refreshed.AuthenticationResult?.AccessToken)
      assert.isUndefined(refreshed.AuthenticationResult?.RefreshToken)
      assert.notStrictEqual(refreshed.AuthenticationResult?.IdToken, first.IdToken)
      assert.strictEqual(decodeJwt(refreshed.AuthenticationResult!.IdToken!).email, ADA)

      const second = await signIn(aws, clients, ADA)
      await clients.userPool.send(new RevokeTokenCommand({ Token: second.RefreshToken!, ClientId: aws.otpClientId }))
      const revokedOne = await failure(refreshWith(clients, aws.otpClientId, second.RefreshToken))
      assert.strictEqual(revokedOne.name, "NotAuthorizedException")
      assert.strictEqual((await refreshWith(clients, aws.otpClientId, first.RefreshToken)).$metadata.httpStatusCode, 200)

      aws.revokeRefreshTokens()
      const revokedAll = await failure(refreshWith(clients, aws.otpClientId, first.RefreshToken))
      assert.strictEqual(revokedAll.name, "NotAuthorizedException")
      assert.strictEqual(revokedAll.message, "Refresh Token has been revoked")

      const unknown = await failure(refreshWith(clients, aws.otpClientId, "not-a-token-it-issued"))
      assert.strictEqual(unknown.name, "NotAuthorizedException")
      assert.strictEqual(unknown.message, "Invalid Refresh Token")
    })

    it("without an upstream, refuses the flows it does not implement", async () => {
      const password = await failure(clients.userPool.send(new InitiateAuthCommand({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: "some-other-client",
        AuthParameters: { USERNAME: ADA, PASSWORD: "x" }
      })))
      assert.strictEqual(password.name, "InvalidParameterException")
      const otherClient = await failure(clients.userPool.send(new InitiateAuthCommand({
        AuthFlow: "CUSTOM_AUTH",
        ClientId: "some-other-client",
        AuthParameters: { USERNAME: ADA }
      })))
      assert.strictEqual(otherClient.name, "InvalidParameterException")
      assert.strictEqual(otherClient.message, "Custom auth lambda trigger is not configured for the user pool.")
    })
  })

  describe("the Cognito domain's token endpoint", () => {
    const m2m = () => aws.m2mClients[0]!
    const basic = () => ({ id: m2m().clientId, secret: m2m().clientSecret })

    it("issues a signed access token with every scope of the client, authenticated by HTTP Basic", async () => {
      aws.resetCounts()
      const response = await tokenRequest(aws, { grant_type: "client_credentials" }, basic())
      assert.strictEqual(response.status, 200)
      assert.strictEqual(response.contentType, "application/json")
      assert.strictEqual(response.body.token_type, "Bearer")
      assert.strictEqual(response.body.expires_in, 3600)
      const { payload } = await jwtVerify(response.body.access_token as string, createRemoteJWKSet(new URL(aws.jwksUri)), {
        issuer: aws.issuer
      })
      assert.strictEqual(payload.scope, "toshi/read toshi/write")
      assert.strictEqual(payload.sub, "toshi-m2m")
      assert.strictEqual(payload.client_id, "toshi-m2m")
      assert.strictEqual(payload.token_use, "access")
      assert.strictEqual(payload.version, 2)
      assert.strictEqual(aws.counts().token, 1)
    })

    it("grants a narrower scope, with the client's credentials in the body", async () => {
      const response = await tokenRequest(aws, {
        grant_type: "client_credentials",
        scope: "toshi/read",
        client_id: m2m().clientId,
        client_secret: m2m().clientSecret
      })
      assert.strictEqual(response.status, 200)
      assert.strictEqual(decodeJwt(response.body.access_token as string).scope, "toshi/read")
    })

    it("answers invalid_scope, invalid_client and unsupported_grant_type", async () => {
      const scope = await tokenRequest(aws, { grant_type: "client_credentials", scope: "toshi/read toshi/admin" }, basic())
      assert.deepStrictEqual([scope.status, scope.body], [400, { error: "invalid_scope" }])
      const secret = await tokenRequest(aws, { grant_type: "client_credentials" }, { id: m2m().clientId, secret: "wrong" })
      assert.deepStrictEqual([secret.status, secret.body], [400, { error: "invalid_client" }])
      const client = await tokenRequest(aws, { grant_type: "client_credentials" }, { id: "nobody", secret: m2m().clientSecret })
      assert.deepStrictEqual([client.status, client.body], [400, { error: "invalid_client" }])
      const grant = await tokenRequest(aws, { grant_type: "password", username: "a", password: "b" }, basic())
      assert.deepStrictEqual([grant.status, grant.body], [400, { error: "unsupported_grant_type" }])
    })

    it("fails the next request with an injected error", async () => {
      aws.failNext("token", { type: "server_error", status: 503 })
      const failed = await tokenRequest(aws, { grant_type: "client_credentials" }, basic())
      assert.deepStrictEqual([failed.status, failed.body], [503, { error: "server_error" }])
      assert.strictEqual((await tokenRequest(aws, { grant_type: "client_credentials" }, basic())).status, 200)
    })
  })

  describe("the Identity Pool", () => {
    const getId = (logins: Record<string, string> | undefined, identityPoolId = aws.identityPoolId) =>
      clients.identity.send(new GetIdCommand({ IdentityPoolId: identityPoolId, Logins: logins }))
    const credentials = (identityId: string | undefined, logins: Record<string, string> | undefined) =>
      clients.identity.send(new GetCredentialsForIdentityCommand({ IdentityId: identityId, Logins: logins }))

    it("exchanges an ID token of its own pool for temporary credentials", async () => {
      const { IdToken } = await signIn(aws, clients, ADA)
      const logins = { [aws.loginKey]: IdToken! }
      const { IdentityId } = await getId(logins)
      assert.match(IdentityId!, /^ap-southeast-2:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)
      // A later sign-in of the same person maps to the same identity.
      const later = await signIn(aws, clients, ADA)
      assert.strictEqual((await getId({ [aws.loginKey]: later.IdToken! })).IdentityId, IdentityId)

      const first = await credentials(IdentityId, logins)
      assert.strictEqual(first.IdentityId, IdentityId)
      assert.match(first.Credentials!.AccessKeyId!, /^ASIA[A-Z0-9]{16}$/)
      assert.isString(first.Credentials!.SecretKey)
      assert.isString(first.Credentials!.SessionToken)
      assert.instanceOf(first.Credentials!.Expiration, Date)
      const lifetime = first.Credentials!.Expiration!.getTime() - Date.now()
      assert.isAbove(lifetime, 895_000)
      assert.isAtMost(lifetime, 900_000)
      const second = await credentials(IdentityId, logins)
      assert.notStrictEqual(second.Credentials!.AccessKeyId, first.Credentials!.AccessKeyId)
    })

    it("refuses unknown pools and identities, missing logins, and another person's identity", async () => {
      const ada = { [aws.loginKey]: (await signIn(aws, clients, ADA)).IdToken! }
      const grace = { [aws.loginKey]: (await signIn(aws, clients, GRACE)).IdToken! }
      const adaId = (await getId(ada)).IdentityId!
      const graceId = (await getId(grace)).IdentityId!
      assert.notStrictEqual(adaId, graceId)

      const otherPerson = await failure(credentials(adaId, grace))
      assert.strictEqual(otherPerson.name, "NotAuthorizedException")
      const unknownIdentity = await failure(credentials("ap-southeast-2:00000000-0000-4000-8000-000000000000", ada))
      assert.strictEqual(unknownIdentity.name, "ResourceNotFoundException")
      const unknownPool = await failure(getId(ada, "ap-southeast-2:00000000-0000-4000-8000-000000000000"))
      assert.strictEqual(unknownPool.name, "ResourceNotFoundException")
      const anonymous = await failure(getId(undefined))
      assert.strictEqual(anonymous.name, "NotAuthorizedException")
      assert.strictEqual(anonymous.message, "Unauthenticated access is not supported for this identity pool.")
      const emptyLogins = await failure(credentials(adaId, {}))
      assert.strictEqual(emptyLogins.name, "NotAuthorizedException")
    })

    it("refuses tampered tokens, access tokens and unknown providers", async () => {
      const { IdToken, AccessToken } = await signIn(aws, clients, ADA)
      const refusedWith = async (loginKey: string, token: string) => {
        const error = await failure(getId({ [loginKey]: token }))
        assert.strictEqual(error.name, "NotAuthorizedException")
        assert.match(error.message, /^Invalid login token\./)
        return error.message
      }
      assert.strictEqual(await refusedWith(aws.loginKey, tamper(IdToken!, 1)), "Invalid login token. Couldn't verify signed token.")
      assert.strictEqual(await refusedWith(aws.loginKey, tamper(IdToken!, 2)), "Invalid login token. Couldn't verify signed token.")
      assert.strictEqual(
        await refusedWith(aws.loginKey, AccessToken!),
        "Invalid login token. Not a valid OpenId Connect identity token."
      )
      assert.strictEqual(
        await refusedWith(aws.loginKey, "not.a.jwt"),
        "Invalid login token. Not a valid OpenId Connect identity token."
      )
      await refusedWith("accounts.google.com", IdToken!)
    })
  })
})

describe("AWS emulator with 1-second tokens", () => {
  let aws: LocalAws
  let other: LocalAws
  let clients: Clients

  beforeAll(async () => {
    ;[aws, other] = await Promise.all([startAws({ tokenTtl: 1 }), startAws()])
    clients = clientsOf(aws)
  })

  afterAll(async () => {
    destroy(clients)
    await Promise.all([aws?.stop(), other?.stop()])
  })

  it("issues them, and the Identity Pool refuses them once expired", async () => {
    const { IdToken, ExpiresIn } = await signIn(aws, clients, ADA)
    assert.strictEqual(ExpiresIn, 1)
    const claims = decodeJwt(IdToken!)
    assert.strictEqual(claims.exp! - claims.iat!, 1)
    const m2m = await tokenRequest(aws, { grant_type: "client_credentials" }, {
      id: aws.m2mClients[0]!.clientId,
      secret: aws.m2mClients[0]!.clientSecret
    })
    assert.strictEqual(m2m.body.expires_in, 1)

    // Another emulator's pool is a different issuer with a different key: its tokens are foreign here.
    const foreign = await signIn(other, clientsOf(other), ADA)
    const foreignError = await failure(
      clients.identity.send(new GetIdCommand({ IdentityPoolId: aws.identityPoolId, Logins: { [aws.loginKey]: foreign.IdToken! } }))
    )
    assert.strictEqual(foreignError.name, "NotAuthorizedException")

    // exp is whole seconds: after 2.5 s it has passed whatever the sign-in's fraction of a second was.
    await new Promise((resolve) => setTimeout(resolve, 2_500))
    const expired = await failure(
      clients.identity.send(new GetIdCommand({ IdentityPoolId: aws.identityPoolId, Logins: { [aws.loginKey]: IdToken! } }))
    )
    assert.strictEqual(expired.name, "NotAuthorizedException")
    assert.match(expired.message, /^Invalid login token\. Token expired: \d+ >= \d+$/)
  })

  it("rejects a lifetime below one second", async () => {
    let error: unknown
    await startAws({ tokenTtl: 0 }).catch((e: unknown) => {
      error = e
    })
    assert.instanceOf(error, RangeError)
  })
})

describe("AWS emulator in front of cognito-local", () => {
  let cognito: LocalCognito
  let aws: LocalAws
  let clients: Clients

  beforeAll(async () => {
    cognito = await startCognito()
    aws = await startAws({
      identityProviders: [
        cognito.identityProvider,
        // The right keys under the wrong issuer: tells an issuer check apart from a signature check.
        { loginKey: "wrong-issuer.example.org", issuer: "https://cognito-idp.example.org/pool", jwksUri: cognito.jwksUri }
      ],
      upstream: cognito.endpoint
    })
    clients = clientsOf(aws)
  }, 30_000)

  afterAll(async () => {
    destroy(clients)
    await Promise.all([aws?.stop(), cognito?.stop()])
  })

  const passwordLogin = (password: string) =>
    clients.userPool.send(new InitiateAuthCommand({
      AuthFlow: "USER_PASSWORD_AUTH",
      ClientId: cognito.clientId,
      AuthParameters: { USERNAME: cognito.users[0]!.username, PASSWORD: password }
    }))

  it("forwards USER_PASSWORD_AUTH and refresh to cognito-local, errors included", async () => {
    aws.resetCounts()
    const login = await passwordLogin(cognito.users[0]!.password)
    assert.isString(login.AuthenticationResult?.IdToken)
    assert.strictEqual(decodeJwt(login.AuthenticationResult!.IdToken!).iss, `${cognito.endpoint}/${cognito.userPoolId}`)
    const refreshed = await refreshWith(clients, cognito.clientId, login.AuthenticationResult!.RefreshToken)
    assert.isString(refreshed.AuthenticationResult?.AccessToken)
    // The error arrives as cognito-local gives it (which, unlike Cognito, says InvalidPasswordException).
    const wrong = await failure(passwordLogin("wrong-password"))
    const direct = new CognitoIdentityProviderClient({ endpoint: cognito.endpoint, region: cognito.region, maxAttempts: 1 })
    try {
      const expected = await failure(direct.send(new InitiateAuthCommand({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: cognito.clientId,
        AuthParameters: { USERNAME: cognito.users[0]!.username, PASSWORD: "wrong-password" }
      })))
      assert.strictEqual(wrong.name, expected.name)
      assert.strictEqual(wrong.message, expected.message)
      assert.strictEqual(wrong.$metadata?.httpStatusCode, 400)
    } finally {
      direct.destroy()
    }
    assert.deepStrictEqual(aws.counts(), { InitiateAuth: 3, forwarded: 3 })
  })

  it("accepts cognito-local's ID tokens in the Identity Pool, and checks their issuer", async () => {
    const login = await passwordLogin(cognito.users[0]!.password)
    const idToken = login.AuthenticationResult!.IdToken!
    const loginKey = cognito.identityProvider.loginKey
    const { IdentityId } = await clients.identity.send(new GetIdCommand({ IdentityPoolId: aws.identityPoolId, Logins: { [loginKey]: idToken } }))
    const issued = await clients.identity.send(new GetCredentialsForIdentityCommand({ IdentityId, Logins: { [loginKey]: idToken } }))
    assert.match(issued.Credentials!.AccessKeyId!, /^ASIA/)
    assert.isAbove(issued.Credentials!.Expiration!.getTime(), Date.now() + 3_500_000)

    const wrongIssuer = await failure(
      clients.identity.send(new GetIdCommand({ IdentityPoolId: aws.identityPoolId, Logins: { "wrong-issuer.example.org": idToken } }))
    )
    assert.strictEqual(wrongIssuer.name, "NotAuthorizedException")
    assert.strictEqual(wrongIssuer.message, "Invalid login token. Issuer doesn't match providerName")
  })

  it("still owns CUSTOM_AUTH on its own client", async () => {
    const result = await signIn(aws, clients, ADA)
    assert.strictEqual(decodeJwt(result.IdToken!).iss, aws.issuer)
    assert.strictEqual((await refreshWith(clients, aws.otpClientId, result.RefreshToken)).$metadata.httpStatusCode, 200)
  })
})
