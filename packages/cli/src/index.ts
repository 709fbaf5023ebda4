/**
 * @since 0.1.0
 */
export * as AwsCredentials from "./AwsCredentials.js"

/**
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"

/**
 * @since 0.1.0
 */
export * as ExitCode from "./ExitCode.js"

/**
 * @since 0.1.0
 */
export * as Profile from "./Profile.js"

/**
 * @since 0.1.0
 */
export * as Settings from "./Settings.js"
