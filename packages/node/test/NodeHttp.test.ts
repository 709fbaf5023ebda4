import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { NodeHttp } from "@toshi/node"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { proxy, selfSignedCertificate, target, tempDir } from "./utils.js"

/** GETs the URL with the client built from `options`, in an environment holding only `env`. */
const fetchText = (url: string, options: NodeHttp.Options, env: Record<string, string> = {}) =>
  HttpClient.get(url).pipe(
    Effect.flatMap((response) => response.text),
    Effect.scoped,
    Effect.provide(NodeHttp.layer(options)),
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

/** The layer's own failure, when building it fails. */
const buildError = (options: NodeHttp.Options, env: Record<string, string> = {}) =>
  Layer.build(NodeHttp.layer(options)).pipe(
    Effect.scoped,
    Effect.flip,
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
  )

describe("NodeHttp", () => {
  describe("proxy", () => {
    it.scopedLive("an http request goes through the proxy HTTP_PROXY names", () =>
      Effect.gen(function*() {
        const server = yield* target()
        const via = yield* proxy
        const body = yield* fetchText(`${server.url}/hello`, {}, { HTTP_PROXY: via.url })
        assert.strictEqual(body, "target says hello to /hello")
        assert.strictEqual(via.count, 1)
        const host = server.url.replace("http://", "")
        assert.isTrue(
          via.seen.tunnelled.includes(host) || via.seen.forwarded.includes(`${server.url}/hello`),
          JSON.stringify(via.seen)
        )
      }))

    it.scopedLive("the lowercase http_proxy wins over HTTP_PROXY, as in curl", () =>
      Effect.gen(function*() {
        const server = yield* target()
        const lower = yield* proxy
        const upper = yield* proxy
        yield* fetchText(server.url, {}, { http_proxy: lower.url, HTTP_PROXY: upper.url })
        assert.strictEqual(lower.count, 1)
        assert.strictEqual(upper.count, 0)
      }))

    it.scopedLive("the proxy option wins over the environment", () =>
      Effect.gen(function*() {
        const server = yield* target()
        const chosen = yield* proxy
        const ignored = yield* proxy
        yield* fetchText(server.url, { proxy: { http: chosen.url } }, { HTTP_PROXY: ignored.url })
        assert.strictEqual(chosen.count, 1)
        assert.strictEqual(ignored.count, 0)
      }))

    it.scopedLive("a host in NO_PROXY is reached directly", () =>
      Effect.gen(function*() {
        const server = yield* target()
        const via = yield* proxy
        const body = yield* fetchText(server.url, {}, { HTTP_PROXY: via.url, NO_PROXY: "example.com, 127.0.0.1" })
        assert.strictEqual(body, "target says hello to /")
        assert.strictEqual(via.count, 0)
        // The same request without NO_PROXY does go through the proxy.
        yield* fetchText(server.url, { proxy: { http: via.url } }, {})
        assert.strictEqual(via.count, 1)
        yield* fetchText(server.url, { proxy: { http: via.url, noProxy: "127.0.0.1" } })
        assert.strictEqual(via.count, 1)
      }))

    it.scopedLive("an empty proxy setting turns the environment's proxy off", () =>
      Effect.gen(function*() {
        const server = yield* target()
        const via = yield* proxy
        yield* fetchText(server.url, { proxy: { http: "", https: "" } }, { HTTP_PROXY: via.url, HTTPS_PROXY: via.url })
        assert.strictEqual(via.count, 0)
      }))

    it.scopedLive("a proxy that is not a URL is an InvalidConfig error that does not echo it", () =>
      Effect.gen(function*() {
        const error = yield* buildError({}, { HTTPS_PROXY: "http://user:s3cret@[not-a-host" })
        assert.strictEqual(error._tag, "LoginFailedError")
        assert.strictEqual(error.reason, "InvalidConfig")
        assert.include(error.message, "HTTPS_PROXY")
        assert.notInclude(error.message, "s3cret")
      }))
  })

  describe("TLS", () => {
    it.scopedLive("a server with a certificate nobody trusts is a Transport RequestError", () =>
      Effect.gen(function*() {
        const tls = yield* selfSignedCertificate
        const server = yield* target(tls)
        const error = yield* Effect.flip(fetchText(server.url, {}))
        assert.strictEqual(error._tag, "RequestError")
        assert.strictEqual(error._tag === "RequestError" && error.reason, "Transport")
      }))

    it.scopedLive("caFile adds the certificate to the trusted ones", () =>
      Effect.gen(function*() {
        const tls = yield* selfSignedCertificate
        const server = yield* target(tls)
        assert.strictEqual(yield* fetchText(`${server.url}/secure`, { caFile: tls.certPath }), "target says hello to /secure")
      }))

    it.scopedLive("TOSHI_CA_FILE does the same from the environment", () =>
      Effect.gen(function*() {
        const tls = yield* selfSignedCertificate
        const server = yield* target(tls)
        assert.strictEqual(yield* fetchText(server.url, {}, { TOSHI_CA_FILE: tls.certPath }), "target says hello to /")
      }))

    it.scopedLive("an https request tunnels through HTTPS_PROXY with CONNECT and trusts caFile at the target", () =>
      Effect.gen(function*() {
        const tls = yield* selfSignedCertificate
        const server = yield* target(tls)
        const via = yield* proxy
        const body = yield* fetchText(server.url, { caFile: tls.certPath }, { HTTPS_PROXY: via.url })
        assert.strictEqual(body, "target says hello to /")
        assert.deepStrictEqual(via.seen.tunnelled, [server.url.replace("https://", "")])
        assert.deepStrictEqual(via.seen.forwarded, [])
        // Without the CA, the tunnel opens but the target is still refused.
        const error = yield* Effect.flip(fetchText(server.url, {}, { HTTPS_PROXY: via.url }))
        assert.strictEqual(error._tag, "RequestError")
        assert.strictEqual(via.seen.tunnelled.length, 2)
      }))

    it.scopedLive("a CA file that does not exist fails the layer with InvalidConfig naming the path", () =>
      Effect.gen(function*() {
        const missing = "/nonexistent/toshi/ca.pem"
        const error = yield* buildError({ caFile: missing })
        assert.strictEqual(error._tag, "LoginFailedError")
        assert.strictEqual(error.reason, "InvalidConfig")
        assert.include(error.message, missing)
        assert.include(error.message, "ENOENT")
        const fromEnv = yield* buildError({}, { TOSHI_CA_FILE: missing })
        assert.include(fromEnv.message, "TOSHI_CA_FILE")
      }))

    it.scopedLive("a CA file without a valid certificate fails the layer with InvalidConfig", () =>
      Effect.gen(function*() {
        const dir = yield* tempDir
        const notPem = Path.join(dir, "not.pem")
        Fs.writeFileSync(notPem, "hello\n")
        const broken = Path.join(dir, "broken.pem")
        Fs.writeFileSync(broken, "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
        const noCertificate = yield* buildError({ caFile: notPem })
        assert.strictEqual(noCertificate.reason, "InvalidConfig")
        assert.include(noCertificate.message, "holds no PEM certificate")
        const invalid = yield* buildError({ caFile: broken })
        assert.strictEqual(invalid.reason, "InvalidConfig")
        assert.include(invalid.message, "not valid")
      }))
  })
})
