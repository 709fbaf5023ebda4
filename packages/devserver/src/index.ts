/**
 * @since 0.1.0
 */
export * from "./DevServer.js"

/**
 * @since 0.1.0
 */
export * from "./Totp.js"

/**
 * @since 0.1.0
 */
export * from "./Cognito.js"

/**
 * @since 0.1.0
 */
export * from "./Aws.js"
