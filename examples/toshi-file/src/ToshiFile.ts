/**
 * The file operations of the Toshi API's Python client (`ToshiFile` in `nshm-toshi-client`) written
 * over toshi: the GraphQL calls go through the `AuthenticatedHttpClient` (an API key, a user's login
 * or an M2M token, renewed on a 401), and a download goes straight to the file's pre-signed URL,
 * streamed to disk and checked against the MD5 the API records for the file.
 *
 * Which API is used is configuration: `TOSHI_ENV` selects the environment (default `production`) and
 * `TOSHI_<ENV>_API_URL` its GraphQL endpoint.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type { AuthError } from "@toshi/core"
import { type AuthenticatedHttpClient, Download, Environments, GraphQL } from "@toshi/node"
import * as Effect from "effect/Effect"
import type * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"

/**
 * The Toshi API's environments. The deployed ones have no default: their URLs come from
 * configuration (`TOSHI_PRODUCTION_API_URL`, `TOSHI_TEST_API_URL`); `local` is where the API's own
 * development server listens.
 */
export const environments: Environments.Definitions = {
  production: { api: undefined },
  test: { api: undefined },
  local: { api: "http://127.0.0.1:5000/graphql" }
}

/** The selected environment, read from configuration when the layer is built. */
export const EnvironmentLayer: Layer.Layer<
  Environments.CurrentEnvironment,
  Environments.UnknownEnvironmentError | AuthError.ConfigIncompleteError
> = Environments.layer(environments)

/** A file's metadata, as the API's `FileInterface` has it. */
export const File = Schema.Struct({
  __typename: Schema.String,
  id: Schema.String,
  file_name: Schema.String,
  file_size: Schema.Number,
  md5_digest: Schema.String,
  meta: Schema.optional(Schema.NullOr(Schema.Array(Schema.Struct({ k: Schema.String, v: Schema.String }))))
})

export type File = typeof File.Type

/** What the API answers for a file's download: its name and a pre-signed URL, valid for a while. */
export const FileDownload = Schema.Struct({
  __typename: Schema.String,
  id: Schema.String,
  file_name: Schema.String,
  file_url: Schema.String
})

export type FileDownload = typeof FileDownload.Type

// The queries of the Python client. `node` is the Relay interface: any id, any type, and the
// fragment picks the fields of files.
const fileQuery = `
  query file($id: ID!) {
    node(id: $id) {
      __typename
      ... on Node { id }
      ... on FileInterface { file_name file_size md5_digest meta { k v } }
    }
  }`

const downloadQuery = `
  query download_file($id: ID!) {
    node(id: $id) {
      __typename
      ... on Node { id }
      ... on FileInterface { file_name file_url }
    }
  }`

/** What the GraphQL calls need. */
type Api = AuthenticatedHttpClient.AuthenticatedHttpClient | Environments.CurrentEnvironment

/**
 * Asks the API for one node. The API answers an id it does not know with `errors` (a
 * `GraphQLError`); an id of something that is not a file fails the schema (a `GraphQLResponseError`
 * with reason `Decode`).
 */
const node = <A, I>(query: string, id: string, schema: Schema.Schema<A, I>) =>
  Effect.gen(function*() {
    const url = yield* Environments.endpoint("api")
    const data = yield* GraphQL.request({ url, query, variables: { id }, schema: Schema.Struct({ node: schema }) })
    return data.node
  })

/** A file's metadata. */
export const getFile = (id: string): Effect.Effect<File, GraphQL.Error, Api> =>
  node(fileQuery, id, File).pipe(Effect.withSpan("ToshiFile.getFile", { attributes: { id } }))

/** A file's pre-signed download URL (and its name). */
export const getFileDownloadUrl = (id: string): Effect.Effect<FileDownload, GraphQL.Error, Api> =>
  node(downloadQuery, id, FileDownload).pipe(Effect.withSpan("ToshiFile.getFileDownloadUrl", { attributes: { id } }))

export interface DownloadOptions {
  /** Replaces the file's own name. */
  readonly name?: string | undefined
  readonly onProgress?: Download.Options["onProgress"]
}

/**
 * Downloads a file into `dir` under its own name (`dir/file_name`) and returns its path. The bytes
 * come from the pre-signed URL, which is sent no credentials (storage would refuse a request that
 * carries two), and must have the MD5 the API records, or nothing is written.
 */
export const downloadFile = (
  id: string,
  dir: string,
  options: DownloadOptions = {}
): Effect.Effect<
  string,
  GraphQL.Error | Download.ChecksumMismatch | Download.DownloadError,
  Api | HttpClient.HttpClient | FileSystem.FileSystem
> =>
  Effect.gen(function*() {
    const file = yield* getFile(id)
    const download = yield* getFileDownloadUrl(id)
    const result = yield* Download.toFile({
      url: download.file_url,
      dir,
      name: options.name ?? file.file_name,
      expected: { md5: file.md5_digest },
      authenticated: false,
      onProgress: options.onProgress
    })
    return result.path
  }).pipe(Effect.withSpan("ToshiFile.downloadFile", { attributes: { id } }))
