/**
 * @since 0.1.0
 */
export * as AuthenticatedHttpClient from "./AuthenticatedHttpClient.js"

/**
 * @since 0.1.0
 */
export * as Download from "./Download.js"

/**
 * @since 0.1.0
 */
export * as Environments from "./Environments.js"

/**
 * @since 0.1.0
 */
export * as GraphQL from "./GraphQL.js"

/**
 * @since 0.1.0
 */
export * as Health from "./Health.js"

/**
 * @since 0.1.0
 */
export * as NodeAuth from "./NodeAuth.js"

/**
 * @since 0.1.0
 */
export * as NodeBrowser from "./NodeBrowser.js"

/**
 * @since 0.1.0
 */
export * as NodeHttp from "./NodeHttp.js"

/**
 * @since 0.1.0
 */
export * as NodeRedirectReceiver from "./NodeRedirectReceiver.js"

/**
 * @since 0.1.0
 */
export * as TokenClient from "./TokenClient.js"
