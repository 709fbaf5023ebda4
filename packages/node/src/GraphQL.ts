/**
 * A small GraphQL request helper over the `AuthenticatedHttpClient`: one POST of
 * `{ query, variables }`, the `data` of the answer optionally decoded with a `Schema`, and every
 * way it can go wrong as a typed error. A 401 is handled by the client (the token is renewed once
 * and the request sent again), so an expired token never reaches the caller.
 *
 * @since 0.1.0
 */
import type * as ParseResult from "effect/ParseResult"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Schema from "effect/Schema"
import type * as AuthenticatedHttpClient from "./AuthenticatedHttpClient.js"
import * as internal from "./internal/graphql.js"

/**
 * One entry of a response's `errors` (GraphQL spec §7.1.2), as the server sent it.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorEntry {
  readonly message: string
  /** Where in `data` the error happened, e.g. `["node", "file_name"]`. */
  readonly path?: ReadonlyArray<string | number>
  readonly locations?: ReadonlyArray<{ readonly line: number; readonly column: number }>
  readonly extensions?: Readonly<Record<string, unknown>>
}

/**
 * The server answered with `errors`, whether or not it also sent (partial) `data`.
 *
 * @since 0.1.0
 * @category errors
 */
export class GraphQLError extends Data.TaggedError("GraphQLError")<{
  /** The operation's name when the query names one, e.g. `"file"` for `query file($id: ID!)`. */
  readonly operation?: string
  /** The endpoint, without its query string. */
  readonly url: string
  readonly status: number
  readonly errors: ReadonlyArray<ErrorEntry>
  /** What `data` held beside the errors: the fields that did resolve, or `null`. */
  readonly data?: unknown
}> {
  /** The messages, in the order the server sent them. */
  get messages(): ReadonlyArray<string> {
    return this.errors.map((error) => error.message)
  }

  /** The paths of the errors that have one, joined with dots, e.g. `"node.file_name"`. */
  get paths(): ReadonlyArray<string> {
    return this.errors.flatMap((error) => error.path === undefined ? [] : [error.path.join(".")])
  }

  override get message(): string {
    const what = this.operation === undefined ? "GraphQL request" : `GraphQL operation "${this.operation}"`
    const details = this.errors
      .map((error) => error.path === undefined ? error.message : `${error.message} (at ${error.path.join(".")})`)
      .join("; ")
    return `${what} to ${this.url} failed: ${details}`
  }
}

/**
 * The server did not answer with a GraphQL response that could be used: a non-2xx status without
 * GraphQL errors, a body that is not JSON or has neither `data` nor `errors`, or `data` that does
 * not match the schema it was decoded with.
 *
 * @since 0.1.0
 * @category errors
 */
export class GraphQLResponseError extends Data.TaggedError("GraphQLResponseError")<{
  readonly reason: "StatusCode" | "NotJson" | "InvalidShape" | "Decode"
  readonly operation?: string
  /** The endpoint, without its query string. */
  readonly url: string
  readonly status: number
  /** The start of the body, on one line. */
  readonly excerpt: string
  /** For `Decode`: the schema's `ParseError`. */
  readonly cause?: ParseResult.ParseError
}> {
  override get message(): string {
    const what = this.operation === undefined ? "GraphQL request" : `GraphQL operation "${this.operation}"`
    const body = this.excerpt === "" ? "an empty body" : `"${this.excerpt}"`
    switch (this.reason) {
      case "StatusCode":
        return `${what} to ${this.url} answered with status ${this.status} and ${body}: check the endpoint URL, or retry if it is a 5xx`
      case "NotJson":
        return `${what} to ${this.url} answered with status ${this.status} and a body that is not JSON (${body}): check that the URL is the GraphQL endpoint`
      case "InvalidShape":
        return `${what} to ${this.url} answered with JSON that has neither "data" nor "errors" (${body}): check that the URL is the GraphQL endpoint`
      case "Decode":
        return `${what} to ${this.url} answered with data that does not match its schema: ${this.cause?.message ?? body}`
    }
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RequestOptions {
  /** The GraphQL endpoint. */
  readonly url: string
  readonly query: string
  readonly variables?: Readonly<Record<string, unknown>> | undefined
  /** Needed only when `query` holds several operations. */
  readonly operationName?: string | undefined
}

/**
 * What a request can fail with: the server's GraphQL errors, an unusable response, or the client's
 * own errors (transport, credentials, a token refused twice).
 *
 * @since 0.1.0
 * @category models
 */
export type Error = GraphQLError | GraphQLResponseError | AuthenticatedHttpClient.Error

/**
 * Sends one query or mutation and succeeds with its `data`, decoded with `schema` when one is
 * given. A response with `errors` is a `GraphQLError`, even when it also carries partial `data`.
 *
 * @example
 * ```ts
 * const File = Schema.Struct({ node: Schema.NullOr(Schema.Struct({ id: Schema.String, file_name: Schema.String })) })
 *
 * const file = yield* GraphQL.request({
 *   url: "https://api.example.com/graphql",
 *   query: "query file($id: ID!) { node(id: $id) { ... on File { id file_name } } }",
 *   variables: { id: "RmlsZToxMjM=" },
 *   schema: File
 * })
 * ```
 *
 * @since 0.1.0
 * @category constructors
 */
export const request: {
  <A, I, R>(
    options: RequestOptions & { readonly schema: Schema.Schema<A, I, R> }
  ): Effect.Effect<A, Error, AuthenticatedHttpClient.AuthenticatedHttpClient | R>
  /** Without a schema the data is not checked: `A` is what the caller asserts it to be. */
  <A = unknown>(
    options: RequestOptions & { readonly schema?: undefined }
  ): Effect.Effect<A, Error, AuthenticatedHttpClient.AuthenticatedHttpClient>
} = internal.request
