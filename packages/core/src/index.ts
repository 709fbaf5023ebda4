/**
 * @since 0.1.0
 */
export * as AuthError from "./AuthError.js"

/**
 * @since 0.1.0
 */
export * as AuthProvider from "./AuthProvider.js"

/**
 * @since 0.1.0
 */
export * as Jwt from "./Jwt.js"

/**
 * @since 0.1.0
 */
export * as Lifetime from "./Lifetime.js"

/**
 * @since 0.1.0
 */
export * as RefreshContext from "./RefreshContext.js"

/**
 * @since 0.1.0
 */
export * as RefreshHooks from "./RefreshHooks.js"

/**
 * @since 0.1.0
 */
export * as RefreshPolicy from "./RefreshPolicy.js"

/**
 * @since 0.1.0
 */
export * as Timestamp from "./Timestamp.js"

/**
 * @since 0.1.0
 */
export * as TokenManager from "./TokenManager.js"

/**
 * @since 0.1.0
 */
export * as TokenSet from "./TokenSet.js"

/**
 * @since 0.1.0
 */
export * as TokenStore from "./TokenStore.js"
