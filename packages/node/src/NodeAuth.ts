/**
 * Everything a Node program needs to sign in and call APIs, in one layer.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import type * as FileSystem from "@effect/platform/FileSystem"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as Path from "@effect/platform/Path"
import type * as Terminal from "@effect/platform/Terminal"
import type { AuthError } from "@toshi/core"
import type { Browser, RedirectReceiver } from "@toshi/providers"
import * as Layer from "effect/Layer"
import * as NodeBrowser from "./NodeBrowser.js"
import * as NodeHttp from "./NodeHttp.js"
import * as NodeRedirectReceiver from "./NodeRedirectReceiver.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends NodeHttp.Options {}

/**
 * The services `NodeAuth.layer` provides.
 *
 * @since 0.1.0
 * @category models
 */
export type Services =
  | HttpClient.HttpClient
  | FileSystem.FileSystem
  | Path.Path
  | Terminal.Terminal
  | RedirectReceiver.RedirectReceiver
  | Browser.Browser

/**
 * The HTTP client (proxy and CA from `options` or the environment), the file system, paths, the
 * terminal for prompts, the loopback redirect receiver and the browser opener. It fails only when
 * the HTTP settings are unusable (`LoginFailedError` with reason `InvalidConfig`).
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options?: Options): Layer.Layer<Services, AuthError.LoginFailedError> =>
  Layer.mergeAll(
    NodeHttp.layer(options),
    NodeFileSystem.layer,
    NodePath.layer,
    NodeTerminal.layer,
    NodeRedirectReceiver.layer,
    NodeBrowser.layer
  )
