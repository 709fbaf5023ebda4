import { assert, describe, it } from "@effect/vitest"
import { Environments } from "@toshi/node"
import * as Cause from "effect/Cause"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"

const definitions: Environments.Definitions = {
  production: { api: "https://api.example.com/graphql", auth: "https://auth.example.com" },
  staging: { api: "https://api.staging.example.com/graphql", auth: "https://auth.staging.example.com" },
  dev: { api: undefined, auth: undefined }
}

/** The environment `Environments.layer(defs, options)` provides, with only `env` configured. */
const current = (env: Record<string, string>, defs?: Environments.Definitions, options?: Environments.Options) =>
  Environments.CurrentEnvironment.pipe(
    Effect.provide(Environments.layer(defs, options)),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

describe("Environments", () => {
  it.effect("with nothing configured, production and its default endpoints are selected", () =>
    Effect.gen(function*() {
      const environment = yield* current({}, definitions)
      assert.deepStrictEqual(environment, {
        name: "production",
        endpoints: { api: "https://api.example.com/graphql", auth: "https://auth.example.com" }
      })
    }))

  it.effect("TOSHI_ENV switches every endpoint at once; a configured endpoint wins over its default", () =>
    Effect.gen(function*() {
      const environment = yield* current(
        { TOSHI_ENV: "staging", TOSHI_STAGING_API_URL: "http://127.0.0.1:4000/graphql", TOSHI_PRODUCTION_AUTH_URL: "https://ignored" },
        definitions
      )
      assert.deepStrictEqual(environment, {
        name: "staging",
        endpoints: { api: "http://127.0.0.1:4000/graphql", auth: "https://auth.staging.example.com" }
      })
    }))

  it.effect("the name is matched regardless of case, and reported as the definitions spell it", () =>
    Effect.gen(function*() {
      const environment = yield* current({ TOSHI_ENV: "STAGING" }, definitions)
      assert.strictEqual(environment.name, "staging")
    }))

  it.effect("an unknown environment is an UnknownEnvironmentError listing the known ones", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(current({ TOSHI_ENV: "qa" }, definitions))
      assert.strictEqual(error._tag, "UnknownEnvironmentError")
      assert.deepStrictEqual(error._tag === "UnknownEnvironmentError" ? error.known : [], ["production", "staging", "dev"])
      assert.strictEqual(
        error.message,
        `Unknown environment "qa" (from TOSHI_ENV): the known environments are production, staging, dev. Set TOSHI_ENV to one of them.`
      )
    }))

  it.effect("endpoints with neither a value nor a default are one ConfigIncompleteError naming every key", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(current({ TOSHI_ENV: "dev", TOSHI_DEV_AUTH_URL: "" }, definitions))
      assert.strictEqual(error._tag, "ConfigIncompleteError")
      if (error._tag !== "ConfigIncompleteError") return
      assert.strictEqual(error.reason, "MissingKeys")
      assert.deepStrictEqual(error.missing, ["TOSHI_DEV_API_URL", "TOSHI_DEV_AUTH_URL"])
      assert.include(error.message, `Environment "dev" config missing required keys: TOSHI_DEV_API_URL, TOSHI_DEV_AUTH_URL`)
    }))

  it.effect("a configured endpoint that is not a URL is reported as malformed, by key", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        current({ TOSHI_ENV: "dev", TOSHI_DEV_API_URL: "http://127.0.0.1:4000", TOSHI_DEV_AUTH_URL: "auth.example.com" }, definitions)
      )
      assert.strictEqual(error._tag, "ConfigIncompleteError")
      if (error._tag !== "ConfigIncompleteError") return
      assert.strictEqual(error.reason, "Malformed")
      assert.deepStrictEqual(error.missing, ["TOSHI_DEV_AUTH_URL"])
      assert.include(error.message, "TOSHI_DEV_AUTH_URL is not a URL")
    }))

  it.effect("an endpoint only one environment lists must exist in all of them", () =>
    Effect.gen(function*() {
      const defs = { production: { api: "https://api.example.com", files: "https://files.example.com" }, local: { api: "http://127.0.0.1:1" } }
      const error = yield* Effect.flip(current({ TOSHI_ENV: "local" }, defs))
      assert.deepStrictEqual(error._tag === "ConfigIncompleteError" ? error.missing : [], ["TOSHI_LOCAL_FILES_URL"])
      const local = yield* current({ TOSHI_ENV: "local", TOSHI_LOCAL_FILES_URL: "http://127.0.0.1:2" }, defs)
      assert.deepStrictEqual(local.endpoints, { api: "http://127.0.0.1:1", files: "http://127.0.0.1:2" })
    }))

  it.effect("without definitions, production, staging and dev each need TOSHI_<ENV>_API_URL", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(current({}))
      assert.deepStrictEqual(error._tag === "ConfigIncompleteError" ? error.missing : [], ["TOSHI_PRODUCTION_API_URL"])
      const dev = yield* current({ TOSHI_ENV: "dev", TOSHI_DEV_API_URL: "http://127.0.0.1:5000/graphql" })
      assert.deepStrictEqual(dev, { name: "dev", endpoints: { api: "http://127.0.0.1:5000/graphql" } })
    }))

  it.effect("the prefix and the default environment can be changed; names become constant-case keys", () =>
    Effect.gen(function*() {
      const defs = { "test-cluster": { fileStore: undefined }, production: { fileStore: "https://files.example.com" } }
      const environment = yield* current(
        { ACME_TEST_CLUSTER_FILE_STORE_URL: "http://127.0.0.1:9000" },
        defs,
        { prefix: "ACME", default: "test-cluster" }
      )
      assert.deepStrictEqual(environment, { name: "test-cluster", endpoints: { fileStore: "http://127.0.0.1:9000" } })
      assert.strictEqual(Environments.endpointKey("test-cluster", "fileStore", { prefix: "ACME" }), "ACME_TEST_CLUSTER_FILE_STORE_URL")
      const switched = yield* current({ ACME_ENV: "production" }, defs, { prefix: "ACME", default: "test-cluster" })
      assert.strictEqual(switched.endpoints.fileStore, "https://files.example.com")
    }))

  it.effect("endpoint(name) reads the current environment's endpoint; an undeclared one is a defect", () =>
    Effect.gen(function*() {
      const layer = Environments.layer(definitions)
      const api = yield* Environments.endpoint("api").pipe(Effect.provide(layer))
      assert.strictEqual(api, "https://api.example.com/graphql")
      const exit = yield* Effect.exit(Environments.endpoint("files").pipe(Effect.provide(layer)))
      assert.isTrue(Exit.isFailure(exit) && Cause.isDie(exit.cause))
      assert.include(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "", `has no endpoint "files" (it has: api, auth)`)
    }).pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))))
})
