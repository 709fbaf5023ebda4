import type * as HttpClient from "@effect/platform/HttpClient"
import { AuthError } from "@toshi/core"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Aws from "./aws.js"

const sdk = Aws.loadSdk("@aws-sdk/client-secrets-manager", () => import("@aws-sdk/client-secrets-manager"))

/**
 * Reads a Secrets Manager secret's JSON. Every way it can fail says which secret and what to do;
 * none of them says what the secret holds.
 *
 * @internal
 */
export const readJson = (
  options: Aws.AwsOptions & { readonly secretId: string; readonly region: string; readonly timeout?: Duration.DurationInput | undefined }
): Effect.Effect<Record<string, unknown>, AuthError.LoginFailedError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const where = `the secret ${options.secretId}`
    const fail = (reason: AuthError.LoginFailedError["reason"], description: string, cause?: unknown) =>
      new AuthError.LoginFailedError({ reason, description, ...(cause === undefined ? {} : { cause }) })
    const { GetSecretValueCommand, SecretsManagerClient } = yield* Effect.mapError(sdk, (e) => fail(e.reason, e.description, e.cause))
    const client = new SecretsManagerClient(yield* Aws.clientConfig(options))
    const output = yield* Effect.tryPromise({
      try: (signal) => client.send(new GetSecretValueCommand({ SecretId: options.secretId }), { abortSignal: signal }),
      catch: (error) => {
        const { message, name } = Aws.describe(error)
        switch (name) {
          case "ResourceNotFoundException":
            return fail("InvalidConfig", `${where} does not exist in ${options.region} (ResourceNotFoundException): check the ARN`, error)
          case "AccessDeniedException":
          case "UnrecognizedClientException":
          case "InvalidSignatureException":
          case "ExpiredTokenException":
            return fail("AccessDenied", `Secrets Manager refused to read ${where} (${name}): the AWS credentials in use need secretsmanager:GetSecretValue on it`, error)
          case "DecryptionFailure":
            return fail("AccessDenied", `Secrets Manager could not decrypt ${where} (DecryptionFailure): the role needs kms:Decrypt on the secret's key`, error)
          case "CredentialsProviderError":
            return fail("InvalidConfig", `no AWS credentials to read ${where}: run inside AWS with a role, or set AWS_PROFILE or AWS_ACCESS_KEY_ID`, error)
        }
        const retryable = Aws.transient("Secrets Manager", error)
        if (retryable !== undefined) return fail(retryable.reason, retryable.description, error)
        return fail("InvalidConfig", `Secrets Manager refused to read ${where} (${name}): ${message}`, error)
      }
    }).pipe(Effect.ensuring(Effect.sync(() => client.destroy())))
    if (output.SecretString === undefined) {
      return yield* fail("InvalidConfig", `${where} has no string value (a binary secret?): store it as JSON text`)
    }
    const parsed = Either.try(() => JSON.parse(output.SecretString!) as unknown)
    if (Either.isLeft(parsed) || typeof parsed.right !== "object" || parsed.right === null || Array.isArray(parsed.right)) {
      return yield* fail("InvalidConfig", `${where} is not a JSON object: store it as a JSON object of strings`)
    }
    return parsed.right as Record<string, unknown>
  })

const nonEmptyString = (value: unknown): value is string => typeof value === "string" && value.trim() !== ""

/**
 * Takes `keys` out of a secret's JSON, or names every one that is missing.
 *
 * @internal
 */
export const requireKeys = <K extends string>(
  json: Record<string, unknown>,
  keys: ReadonlyArray<K>,
  context: { readonly subject: string; readonly source: string }
): Effect.Effect<Record<K, string>, AuthError.ConfigIncompleteError> => {
  const missing = keys.filter((key) => !nonEmptyString(json[key]))
  return missing.length > 0
    ? Effect.fail(new AuthError.ConfigIncompleteError({ subject: context.subject, missing, source: context.source, reason: "MissingKeys" }))
    : Effect.succeed(Object.fromEntries(keys.map((key) => [key, json[key] as string])) as Record<K, string>)
}

