/**
 * @since 0.1.0
 */
export * as CredentialsFile from "./CredentialsFile.js"

/**
 * @since 0.1.0
 */
export * as FileTokenStore from "./FileTokenStore.js"

/**
 * @since 0.1.0
 */
export * as SavedToken from "./SavedToken.js"

/**
 * @since 0.1.0
 */
export * as TokenStore from "./TokenStore.js"
