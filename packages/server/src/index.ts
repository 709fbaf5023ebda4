/**
 * @since 0.1.0
 */
export * as ApiKeys from "./ApiKeys.js"

/**
 * @since 0.1.0
 */
export * as Authorization from "./Authorization.js"

/**
 * @since 0.1.0
 */
export * as HttpApiAuth from "./HttpApiAuth.js"

/**
 * @since 0.1.0
 */
export * as JwtVerifier from "./JwtVerifier.js"

/**
 * @since 0.1.0
 */
export * as Principal from "./Principal.js"

/**
 * @since 0.1.0
 */
export * as VerifyError from "./VerifyError.js"

/**
 * @since 0.1.0
 */
export * as VerifyRequest from "./VerifyRequest.js"
