import type { IncomingMessage } from "node:http"
import type Provider from "oidc-provider"
import type { Interaction, InteractionResults } from "oidc-provider"
import { loginPage } from "./pages.js"
import { authenticate, type User } from "./users.js"

/** Koa middleware as `provider.use` takes it (koa's own types come with oidc-provider's). */
export type Middleware = Parameters<Provider["use"]>[0]

export const interactionUrl = (uid: string): string => `/interaction/${uid}`

const ROUTE = /^\/interaction\/([\w-]+)\/?$/
const MAX_FORM_BYTES = 16 * 1024

const readForm = async (req: IncomingMessage): Promise<Record<string, string>> => {
  const chunks: Array<Buffer> = []
  let size = 0
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string)
    size += buffer.length
    if (size > MAX_FORM_BYTES) throw new RangeError("form too large")
    chunks.push(buffer)
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString("utf8")))
}

const stringList = (value: unknown): Array<string> =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : []

/**
 * Consent without a person: grant exactly what the prompt says is missing (OIDC scopes and claims,
 * and the API scopes per resource indicator), the way oidc-provider's documented consent step does.
 */
const grantEverythingMissing = async (provider: Provider, interaction: Interaction): Promise<string> => {
  const accountId = interaction.session?.accountId
  const clientId = interaction.params.client_id
  if (accountId === undefined || typeof clientId !== "string") {
    throw new Error("consent requested before sign-in")
  }
  const existing = interaction.grantId === undefined ? undefined : await provider.Grant.find(interaction.grantId)
  const grant = existing ?? new provider.Grant({ accountId, clientId })
  const { details } = interaction.prompt
  const missingScope = stringList(details.missingOIDCScope)
  if (missingScope.length > 0) grant.addOIDCScope(missingScope.join(" "))
  const missingClaims = stringList(details.missingOIDCClaims)
  if (missingClaims.length > 0) grant.addOIDCClaims(missingClaims)
  const missingResourceScopes = details.missingResourceScopes
  if (typeof missingResourceScopes === "object" && missingResourceScopes !== null) {
    for (const [indicator, scopes] of Object.entries(missingResourceScopes)) {
      grant.addResourceScope(indicator, stringList(scopes).join(" "))
    }
  }
  return grant.save()
}

/**
 * The interaction routes that `interactions.url` points at: a sign-in form (username, password and,
 * for TOTP users, a code) and automatic consent. oidc-provider's dev interactions are off, so this is
 * the only sign-in page the server has.
 */
export const interactionRoutes = (provider: Provider, users: ReadonlyArray<User>): Middleware =>
  async (ctx, next) => {
    const match = ROUTE.exec(ctx.path)
    if (match === null) return next()
    ctx.state.toshiRoute = "interaction"
    if (ctx.method !== "GET" && ctx.method !== "POST") {
      ctx.status = 405
      ctx.set("allow", "GET, POST")
      return
    }

    // No interaction cookie (or an expired one) means the flow must restart from the client.
    const interaction = await provider.interactionDetails(ctx.req, ctx.res).catch(() => undefined)
    if (interaction === undefined || interaction.uid !== match[1]) {
      ctx.status = 400
      ctx.type = "text/plain"
      ctx.body = "This sign-in has expired or was already completed: start again from the application.\n"
      return
    }

    const form = ctx.method === "POST" ? await readForm(ctx.req).catch(() => null) : undefined
    if (form === null) {
      ctx.status = 413
      return
    }
    const clientId = String(interaction.params.client_id ?? "")
    let result: InteractionResults
    let merge = true
    if (form?.abort !== undefined) {
      result = { error: "access_denied", error_description: "End-User aborted interaction" }
      merge = false
    } else if (interaction.prompt.name === "login") {
      if (form === undefined) {
        ctx.type = "html"
        ctx.body = loginPage(interactionUrl(interaction.uid), clientId, undefined)
        return
      }
      const outcome = authenticate(users, form)
      if (outcome._tag === "Rejected") {
        ctx.status = 401
        ctx.type = "html"
        ctx.body = loginPage(interactionUrl(interaction.uid), clientId, outcome.description)
        return
      }
      result = { login: { accountId: outcome.user.sub } }
      merge = false
    } else if (interaction.prompt.name === "consent") {
      result = { consent: { grantId: await grantEverythingMissing(provider, interaction) } }
    } else {
      ctx.status = 400
      ctx.type = "text/plain"
      ctx.body = `This server cannot complete the "${interaction.prompt.name}" prompt.\n`
      return
    }

    const location = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: merge })
    ctx.redirect(location)
    ctx.status = 303
  }
