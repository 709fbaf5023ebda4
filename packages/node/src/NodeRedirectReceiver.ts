/**
 * The loopback redirect receiver (RFC 8252 §7.3) on `node:http`: it listens on 127.0.0.1 only,
 * answers the browser with a short page, and stops listening when its scope closes.
 *
 * @since 0.1.0
 */
import { RedirectReceiver } from "@toshi/providers"
import * as Layer from "effect/Layer"
import * as internal from "./internal/redirectReceiver.js"

/**
 * `listen({ port, path })` binds 127.0.0.1: the preferred port, or the next ones when it is taken
 * (10 in all, then a `LoginFailedError` with reason `InvalidConfig` naming the busy ports), or any
 * free port. `callback` gives the query of the first GET to the path; other paths get a 404.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (): RedirectReceiver.RedirectReceiverService => internal.make

/**
 * @since 0.1.0
 * @category layers
 */
export const layer: Layer.Layer<RedirectReceiver.RedirectReceiver> = Layer.sync(RedirectReceiver.RedirectReceiver, make)
