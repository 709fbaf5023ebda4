/**
 * @since 0.1.0
 */
export * as ExitCode from "./ExitCode.js"
