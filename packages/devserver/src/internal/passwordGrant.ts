import type Provider from "oidc-provider"
import type { KoaContextWithOIDC, ResourceServer } from "oidc-provider"
import { errors } from "oidc-provider"
import { authenticate, type User } from "./users.js"

export const PASSWORD_GRANT = "password"
export const passwordGrantParameters = ["username", "password", "scope", "totp", "resource"]

/** The OIDC scopes the provider knows; anything else in `scope` is an API scope or is dropped. */
export const OIDC_SCOPES: ReadonlySet<string> = new Set(["openid", "offline_access", "email", "profile"])

export interface Api {
  readonly resource: string
  readonly scopes: ReadonlyArray<string>
  readonly info: () => ResourceServer
}

/** oidc-provider builds resource servers with this class; its type declarations leave it out. */
type ResourceServerClass = new (identifier: string, info: ResourceServer) => ResourceServer

const param = (params: unknown, name: string): string | undefined => {
  const value = (params as Record<string, unknown> | undefined)?.[name]
  return typeof value === "string" ? value : undefined
}

/**
 * The resource owner password credentials grant (RFC 6749 section 4.3), which oidc-provider does
 * not ship: Cognito's USER_PASSWORD_AUTH is its equivalent, and toshi's password flow talks to it.
 * It issues what the built-in grants issue, with their models, so refresh, revocation and
 * introspection treat its tokens like any other:
 * - an access token that is always a JWT for the API (the `resource` parameter may name it, and
 *   nothing else), carrying the API scopes that were requested;
 * - a refresh token on every success when the client may use `refresh_token` (as Cognito does,
 *   whether or not `offline_access` was asked for);
 * - an ID token when `scope` contains `openid`.
 */
export const passwordGrant = (provider: Provider, users: ReadonlyArray<User>, api: Api) =>
  async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
    const { params } = ctx.oidc
    const client = ctx.oidc.client
    if (client === undefined) {
      throw new errors.InvalidClient("client authentication is required")
    }
    const username = param(params, "username")
    const password = param(params, "password")
    if (username === undefined || password === undefined) {
      throw new errors.InvalidRequest("username and password are required")
    }
    const outcome = authenticate(users, { username, password, totp: param(params, "totp") })
    if (outcome._tag === "Rejected") {
      throw new errors.CustomOIDCProviderError("invalid_grant", outcome.description)
    }
    const { user } = outcome

    const resource = param(params, "resource") ?? api.resource
    if (resource !== api.resource) {
      throw new errors.InvalidTarget(`the only resource indicator here is ${api.resource}`)
    }
    const requested = new Set((param(params, "scope") ?? "").split(" ").filter((scope) => scope !== ""))
    const oidcScope = [...requested].filter((scope) => OIDC_SCOPES.has(scope)).join(" ")
    const apiScope = [...requested].filter((scope) => api.scopes.includes(scope)).join(" ")
    const scope = [oidcScope, apiScope].filter((part) => part !== "").join(" ")

    const grant = new provider.Grant({ accountId: user.sub, clientId: client.clientId })
    if (oidcScope !== "") grant.addOIDCScope(oidcScope)
    if (apiScope !== "") grant.addResourceScope(resource, apiScope)
    const grantId = await grant.save()
    const authTime = Math.floor(Date.now() / 1000)

    const ResourceServerModel = (provider as unknown as { ResourceServer: ResourceServerClass }).ResourceServer
    const accessToken = new provider.AccessToken({
      accountId: user.sub,
      client,
      grantId,
      gty: PASSWORD_GRANT,
      scope: apiScope,
      resourceServer: new ResourceServerModel(resource, api.info())
    })
    ctx.oidc.entity("AccessToken", accessToken)
    const accessTokenValue = await accessToken.save()

    let refreshTokenValue: string | undefined
    if (client.grantTypeAllowed("refresh_token")) {
      const refreshToken = new provider.RefreshToken({
        accountId: user.sub,
        authTime,
        client,
        grantId,
        gty: PASSWORD_GRANT,
        resource,
        rotations: 0,
        scope
      })
      ctx.oidc.entity("RefreshToken", refreshToken)
      refreshTokenValue = await refreshToken.save()
    }

    let idTokenValue: string | undefined
    if (requested.has("openid")) {
      const account = await provider.Account.findAccount(ctx, user.sub)
      if (account === undefined) {
        throw new errors.InvalidGrant("account not found")
      }
      const idToken = new provider.IdToken(
        { ...(await account.claims("id_token", oidcScope, {}, [])), auth_time: authTime },
        { ctx }
      )
      ;(idToken as unknown as { scope: string }).scope = oidcScope
      idToken.set("at_hash", accessTokenValue)
      idTokenValue = await idToken.issue({ use: "idtoken" })
    }

    ctx.body = {
      access_token: accessTokenValue,
      expires_in: accessToken.expiration,
      token_type: accessToken.tokenType,
      ...(accessToken.scope ? { scope: accessToken.scope } : {}),
      ...(refreshTokenValue === undefined ? {} : { refresh_token: refreshTokenValue }),
      ...(idTokenValue === undefined ? {} : { id_token: idTokenValue })
    }
    await next()
  }
