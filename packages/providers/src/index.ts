/**
 * @since 0.1.0
 */
export * as ApiKey from "./ApiKey.js"

/**
 * @since 0.1.0
 */
export * as External from "./External.js"
