import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Effect from "effect/Effect"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import { AuthenticatedHttpClient } from "../AuthenticatedHttpClient.js"
import type { ErrorEntry, RequestOptions } from "../GraphQL.js"
import { GraphQLError, GraphQLResponseError } from "../GraphQL.js"
import { excerpt, redactUrl } from "./httpText.js"

/** The name of the query's first named operation, for messages and spans. */
const operationNameOf = (query: string): string | undefined =>
  /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(query)?.[1]

const isLocation = (u: unknown): u is { readonly line: number; readonly column: number } =>
  Predicate.isRecord(u) && typeof u.line === "number" && typeof u.column === "number"

/** An entry of `errors` as a typed value, keeping only fields of the shape the spec gives them. */
const errorEntry = (entry: unknown): ErrorEntry => {
  if (!Predicate.isRecord(entry)) return { message: String(entry) }
  const message = typeof entry.message === "string" ? entry.message : JSON.stringify(entry)
  return {
    message,
    ...(Array.isArray(entry.path) ? { path: entry.path.filter((p) => typeof p === "string" || typeof p === "number") } : {}),
    ...(Array.isArray(entry.locations) ? { locations: entry.locations.filter(isLocation) } : {}),
    ...(Predicate.isRecord(entry.extensions) ? { extensions: entry.extensions } : {})
  }
}

const parseJson = (text: string): { readonly ok: true; readonly value: unknown } | { readonly ok: false } => {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch {
    return { ok: false }
  }
}

/** @internal */
export const request = (
  options: RequestOptions & { readonly schema?: Schema.Schema<any, any, any> | undefined }
): Effect.Effect<any, any, any> => {
  const operation = options.operationName ?? operationNameOf(options.query)
  const url = redactUrl(options.url)
  const named = operation === undefined ? {} : { operation }
  return Effect.gen(function*() {
    const client = yield* AuthenticatedHttpClient
    const response = yield* client.execute(
      HttpClientRequest.post(options.url).pipe(
        // The GraphQL-over-HTTP media type first: servers that know it answer errors with a
        // meaningful status, the others fall back to plain JSON.
        HttpClientRequest.accept("application/graphql-response+json, application/json;q=0.9"),
        HttpClientRequest.bodyUnsafeJson({
          query: options.query,
          ...(options.variables === undefined ? {} : { variables: options.variables }),
          ...(options.operationName === undefined ? {} : { operationName: options.operationName })
        })
      )
    )
    const text = yield* response.text
    const status = response.status
    const successful = status >= 200 && status < 300
    const failure = (reason: GraphQLResponseError["reason"]) =>
      new GraphQLResponseError({ reason, ...named, url, status, excerpt: excerpt(text) })
    const parsed = parseJson(text)
    if (!parsed.ok) return yield* failure(successful ? "NotJson" : "StatusCode")
    const body = parsed.value
    // Checked before the status: servers answer validation errors with a 400 and an `errors` list,
    // which says more than the status does.
    if (Predicate.isRecord(body) && Array.isArray(body.errors) && body.errors.length > 0) {
      return yield* new GraphQLError({
        ...named,
        url,
        status,
        errors: body.errors.map(errorEntry),
        ...("data" in body ? { data: body.data } : {})
      })
    }
    if (!successful) return yield* failure("StatusCode")
    if (!Predicate.isRecord(body) || !("data" in body)) return yield* failure("InvalidShape")
    if (options.schema === undefined) return body.data
    return yield* Schema.decodeUnknown(options.schema)(body.data).pipe(
      Effect.mapError((cause) => new GraphQLResponseError({ reason: "Decode", ...named, url, status, excerpt: "", cause }))
    )
  }).pipe(Effect.withSpan("GraphQL.request", { attributes: { "graphql.operation.name": operation ?? "" } }))
}
