/**
 * An example `HttpApi` protected by toshi: what an API that toshi's clients call looks like.
 *
 * - `GET /me`: any user token, or a machine token holding the API scope (`…/api`).
 * - `POST /shops/:shopId/items`: the same, plus the `write` scope and the shop's resource policy
 *   (machines with `toshi/admin` may touch every shop).
 * - `GET /any/me` and `GET /any/shops/:shopId`: an API key first (`X-API-Key` or
 *   `Bearer sv_…`), then tokens.
 */
import * as HttpApi from "@effect/platform/HttpApi"
import * as HttpApiBuilder from "@effect/platform/HttpApiBuilder"
import * as HttpApiEndpoint from "@effect/platform/HttpApiEndpoint"
import * as HttpApiGroup from "@effect/platform/HttpApiGroup"
import * as HttpServer from "@effect/platform/HttpServer"
import { NodeHttpClient, NodeHttpServer } from "@effect/platform-node"
import { createServer } from "node:http"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import { ApiKeys, Authorization, HttpApiAuth, JwtVerifier, Principal } from "../src/index.js"

export class Me extends Schema.Class<Me>("Me")({
  kind: Schema.Literal("User", "Machine", "ApiKey"),
  name: Schema.String,
  scopes: Schema.Array(Schema.String),
  username: Schema.optional(Schema.String)
}) {}

const ShopPath = Schema.Struct({ shopId: Schema.String })
const Touched = Schema.Struct({ shop: Schema.String, by: Schema.String })

export class ExampleApi extends HttpApi.make("example")
  .add(
    HttpApiGroup.make("tokens")
      .add(HttpApiEndpoint.get("me", "/me").addSuccess(Me))
      .add(HttpApiEndpoint.post("addItem", "/shops/:shopId/items").setPath(ShopPath).addSuccess(Touched))
      .middleware(HttpApiAuth.AuthRequired)
  )
  .add(
    HttpApiGroup.make("any")
      .add(HttpApiEndpoint.get("me", "/any/me").addSuccess(Me))
      .add(HttpApiEndpoint.get("shop", "/any/shops/:shopId").setPath(ShopPath).addSuccess(Touched))
      .middleware(HttpApiAuth.AuthRequiredAny)
  )
{}

const me = Effect.map(Principal.CurrentPrincipal, (principal) =>
  new Me({
    kind: principal._tag,
    name: Principal.describe(principal),
    scopes: [...Principal.scopes(principal)],
    ...(principal._tag === "User" && principal.username !== undefined ? { username: principal.username } : {})
  }))

const touch = (shopId: string) =>
  Effect.map(Authorization.requireResource(`shop/${shopId}`), (principal) => ({ shop: shopId, by: Principal.describe(principal) }))

const TokensLive = HttpApiBuilder.group(ExampleApi, "tokens", (handlers) =>
  handlers
    .handle("me", () => me)
    .handle("addItem", ({ path }) =>
      Effect.zipRight(Authorization.requireScope({ anyOf: ["write", "toshi/write"] }), touch(path.shopId))))

const AnyLive = HttpApiBuilder.group(ExampleApi, "any", (handlers) =>
  handlers
    .handle("me", () => me)
    .handle("shop", ({ path }) => touch(path.shopId)))

export interface ExampleOptions {
  readonly verifiers: ReadonlyArray<JwtVerifier.Options>
  /** Users (by username or subject) and the shops each may touch. */
  readonly shopsByUser: Readonly<Record<string, ReadonlyArray<string>>>
}

/**
 * The server on 127.0.0.1 (a free port), with its verifier, middleware, resource policy and an
 * in-memory API key store, which the layer also outputs so that tests can create keys.
 */
export const layer = (options: ExampleOptions) => {
  const policy = Authorization.layerResourcePolicy(
    (principal, resource) => {
      if (principal._tag !== "User") return false
      const shops = options.shopsByUser[principal.username ?? ""] ?? options.shopsByUser[principal.subject] ?? []
      return shops.some((shop) => resource === `shop/${shop}`)
    },
    { trustedMachineScope: "toshi/admin" }
  )
  const auth = { machineScope: (scope: string) => scope.endsWith("/api") }
  const Groups = Layer.mergeAll(TokensLive, AnyLive).pipe(
    Layer.provide([HttpApiAuth.layerAuthRequired(auth), HttpApiAuth.layerAuthRequiredAny(auth), policy])
  )
  return HttpApiBuilder.serve().pipe(
    Layer.provide(HttpApiBuilder.api(ExampleApi)),
    Layer.provide(Groups),
    Layer.provideMerge(Layer.merge(
      JwtVerifier.layer(options.verifiers).pipe(Layer.provide(NodeHttpClient.layerUndici)),
      ApiKeys.layerSqlite(":memory:")
    )),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { host: "127.0.0.1", port: 0 }))
  )
}

/** `http://127.0.0.1:{port}` of the running server. */
export const baseUrl = HttpServer.addressWith((address) =>
  Effect.succeed(address._tag === "TcpAddress" ? `http://${address.hostname}:${address.port}` : "")
)
