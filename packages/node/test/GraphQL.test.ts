import { assert, describe, it } from "@effect/vitest"
import { type AuthenticatedHttpClient, GraphQL } from "@toshi/node"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import type * as Http from "node:http"
import { clientLayer, counting, serve } from "./loopback.js"

const fileQuery = `
  query file($id: ID!) {
    node(id: $id) { __typename ... on File { id file_name file_size } }
  }`

const File = Schema.Struct({
  node: Schema.Struct({ __typename: Schema.Literal("File"), id: Schema.String, file_name: Schema.String, file_size: Schema.Number })
})

const json = (response: Http.ServerResponse, status: number, body: unknown) =>
  void response.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body))

/**
 * A GraphQL endpoint that accepts `Bearer token-<accepted>` only and answers every query with what
 * `answer` returns for its variables.
 */
const graphql = (answer: (variables: Record<string, unknown>, response: Http.ServerResponse) => void, accepted = 1) =>
  serve((request, response) => {
    if (request.headers.authorization !== `Bearer token-${accepted}`) return json(response, 401, { message: "Unauthorized" })
    answer((JSON.parse(request.body) as { variables?: Record<string, unknown> }).variables ?? {}, response)
  })

const run = <A, E>(effect: Effect.Effect<A, E, AuthenticatedHttpClient.AuthenticatedHttpClient>) =>
  Effect.provide(effect, clientLayer(counting().provider))

describe("GraphQL", () => {
  it.scopedLive("a query is a POST of its query and variables with the token, and its data is decoded", () =>
    Effect.gen(function*() {
      const server = yield* graphql((variables, response) =>
        json(response, 200, { data: { node: { __typename: "File", id: variables.id, file_name: "a.zip", file_size: 1234 } } })
      )
      const data = yield* run(GraphQL.request({ url: `${server.url}/graphql`, query: fileQuery, variables: { id: "RmlsZTox" }, schema: File }))
      assert.deepStrictEqual(data, { node: { __typename: "File", id: "RmlsZTox", file_name: "a.zip", file_size: 1234 } })
      const [seen] = server.seen
      assert.strictEqual(seen?.method, "POST")
      assert.strictEqual(seen?.url, "/graphql")
      assert.match(seen?.headers["content-type"] ?? "", /^application\/json/)
      assert.deepStrictEqual(JSON.parse(seen?.body ?? ""), { query: fileQuery, variables: { id: "RmlsZTox" } })
    }))

  it.scopedLive("errors beside partial data are a GraphQLError with the messages, paths and data", () =>
    Effect.gen(function*() {
      const server = yield* graphql((_, response) =>
        json(response, 200, {
          data: { node: null, other: 1 },
          errors: [
            { message: "File matching query does not exist.", locations: [{ line: 3, column: 5 }], path: ["node"] },
            { message: "Something else", extensions: { code: "INTERNAL" } }
          ]
        })
      )
      const error = yield* Effect.flip(run(GraphQL.request({ url: `${server.url}/graphql`, query: fileQuery, variables: { id: "nope" } })))
      assert.strictEqual(error._tag, "GraphQLError")
      if (error._tag !== "GraphQLError") return
      assert.strictEqual(error.operation, "file")
      assert.strictEqual(error.status, 200)
      assert.deepStrictEqual(error.messages, ["File matching query does not exist.", "Something else"])
      assert.deepStrictEqual(error.paths, ["node"])
      assert.deepStrictEqual(error.errors[0]?.locations, [{ line: 3, column: 5 }])
      assert.deepStrictEqual(error.errors[1]?.extensions, { code: "INTERNAL" })
      assert.deepStrictEqual(error.data, { node: null, other: 1 })
      assert.strictEqual(
        error.message,
        `GraphQL operation "file" to ${server.url}/graphql failed: File matching query does not exist. (at node); Something else`
      )
    }))

  it.scopedLive("a 400 carrying errors is a GraphQLError, not a status error", () =>
    Effect.gen(function*() {
      const server = yield* graphql((_, response) =>
        json(response, 400, { errors: [{ message: `Cannot query field "nope" on type "File".` }] })
      )
      const error = yield* Effect.flip(run(GraphQL.request({ url: `${server.url}/graphql`, query: "{ nope }" })))
      assert.strictEqual(error._tag, "GraphQLError")
      assert.include(error.message, `GraphQL request to ${server.url}/graphql failed: Cannot query field "nope"`)
    }))

  it.scopedLive("a non-JSON 502 is a GraphQLResponseError with the status and an excerpt, and no query string", () =>
    Effect.gen(function*() {
      const server = yield* graphql((_, response) =>
        void response.writeHead(502, { "content-type": "text/html" }).end(`<html>\n  <body>Bad   gateway</body>\n</html>${"x".repeat(500)}`)
      )
      const error = yield* Effect.flip(
        run(GraphQL.request({ url: `${server.url}/graphql?api_key=s3cr3t`, query: fileQuery, variables: { id: "1" } }))
      )
      assert.strictEqual(error._tag, "GraphQLResponseError")
      if (error._tag !== "GraphQLResponseError") return
      assert.strictEqual(error.reason, "StatusCode")
      assert.strictEqual(error.status, 502)
      assert.match(error.excerpt, /^<html> <body>Bad gateway<\/body> <\/html>x+…$/)
      assert.strictEqual(error.excerpt.length, 201)
      assert.include(error.message, `GraphQL operation "file" to ${server.url}/graphql?… answered with status 502`)
      assert.notInclude(error.message, "s3cr3t")
      assert.notInclude(error.message, "token-1")
    }))

  it.scopedLive("a 200 that is not JSON, or JSON without data or errors, is a GraphQLResponseError", () =>
    Effect.gen(function*() {
      const server = yield* serve((request, response) =>
        request.url === "/html"
          ? void response.writeHead(200, { "content-type": "text/html" }).end("<!doctype html><h1>GraphiQL</h1>")
          : json(response, 200, { message: "hello" })
      )
      const notJson = yield* Effect.flip(run(GraphQL.request({ url: `${server.url}/html`, query: "{ a }" })))
      const noData = yield* Effect.flip(run(GraphQL.request({ url: `${server.url}/json`, query: "{ a }" })))
      assert.deepInclude(notJson, { _tag: "GraphQLResponseError", reason: "NotJson", excerpt: "<!doctype html><h1>GraphiQL</h1>" })
      assert.deepInclude(noData, { _tag: "GraphQLResponseError", reason: "InvalidShape", excerpt: `{"message":"hello"}` })
      assert.include(notJson.message, "check that the URL is the GraphQL endpoint")
    }))

  it.scopedLive("data that does not match the schema is a Decode error naming the field", () =>
    Effect.gen(function*() {
      const server = yield* graphql((_, response) =>
        json(response, 200, { data: { node: { __typename: "File", id: "1", file_name: "a.zip", file_size: "big" } } })
      )
      const error = yield* Effect.flip(run(GraphQL.request({ url: `${server.url}/graphql`, query: fileQuery, schema: File })))
      assert.strictEqual(error._tag, "GraphQLResponseError")
      if (error._tag !== "GraphQLResponseError") return
      assert.strictEqual(error.reason, "Decode")
      assert.strictEqual(error.cause?._tag, "ParseError")
      assert.include(error.message, "answered with data that does not match its schema")
      assert.include(error.message, "file_size")
    }))

  it.scopedLive("a 401 renews the token once and the query succeeds on its retry", () =>
    Effect.gen(function*() {
      const server = yield* graphql((_, response) => json(response, 200, { data: { viewer: "me" } }), 2)
      const { provider, state } = counting()
      const data = yield* GraphQL.request<{ viewer: string }>({ url: `${server.url}/graphql`, query: "query me { viewer }" }).pipe(
        Effect.provide(clientLayer(provider))
      )
      assert.deepStrictEqual(data, { viewer: "me" })
      assert.strictEqual(state.acquired, 2)
      assert.deepStrictEqual(server.seen.map((s) => s.headers.authorization), ["Bearer token-1", "Bearer token-2"])
      // The retry sends the same body: a POST's body must survive being sent twice.
      assert.deepStrictEqual(server.seen.map((s) => JSON.parse(s.body)), [{ query: "query me { viewer }" }, { query: "query me { viewer }" }])
    }))
})
