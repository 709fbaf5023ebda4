/**
 * @since 0.1.0
 */
export * as ApiKey from "./ApiKey.js"

/**
 * @since 0.1.0
 */
export * as Browser from "./Browser.js"

/**
 * @since 0.1.0
 */
export * as ClientAuth from "./ClientAuth.js"

/**
 * @since 0.1.0
 */
export * as Cognito from "./Cognito.js"

/**
 * @since 0.1.0
 */
export * as CognitoConfig from "./CognitoConfig.js"

/**
 * @since 0.1.0
 */
export * as Detect from "./Detect.js"

/**
 * @since 0.1.0
 */
export * as External from "./External.js"

/**
 * @since 0.1.0
 */
export * as IdentityPool from "./IdentityPool.js"

/**
 * @since 0.1.0
 */
export * as IdToken from "./IdToken.js"

/**
 * @since 0.1.0
 */
export * as OAuth2 from "./OAuth2.js"

/**
 * @since 0.1.0
 */
export * as Oidc from "./Oidc.js"

/**
 * @since 0.1.0
 */
export * as RedirectReceiver from "./RedirectReceiver.js"
