import { randomUUID } from "node:crypto"
import { AwsError, epochSeconds, type Handler, optionalString, randomString, requiredString } from "./awsWire.js"

interface Secret {
  readonly name: string
  readonly arn: string
  readonly value: string
  readonly versionId: string
  readonly createdAt: number
}

export interface Secrets {
  readonly arns: () => Readonly<Record<string, string>>
  readonly set: (name: string, value: string) => string
  readonly remove: (name: string) => void
  readonly getSecretValue: Handler
}

export const makeSecrets = (options: {
  readonly region: string
  readonly accountId: string
  readonly initial: Readonly<Record<string, string>>
}): Secrets => {
  const byName = new Map<string, Secret>()

  const set = (name: string, value: string): string => {
    // A new value is a new version of the same secret, as PutSecretValue makes: the ARN stays.
    const arn = byName.get(name)?.arn ??
      `arn:aws:secretsmanager:${options.region}:${options.accountId}:secret:${name}-${randomString(6)}`
    byName.set(name, { name, arn, value, versionId: randomUUID(), createdAt: Date.now() })
    return arn
  }
  for (const [name, value] of Object.entries(options.initial)) set(name, value)

  const find = (secretId: string): Secret | undefined =>
    byName.get(secretId) ?? [...byName.values()].find((secret) => secret.arn === secretId)

  const getSecretValue: Handler = async ({ body, signingRegion }) => {
    // Real Secrets Manager refuses unsigned calls before it looks at anything else.
    if (signingRegion === undefined) {
      throw new AwsError("UnrecognizedClientException", "The security token included in the request is invalid.")
    }
    const secret = find(requiredString(body, "SecretId"))
    const versionId = optionalString(body, "VersionId")
    const stage = optionalString(body, "VersionStage")
    // Only the current version is kept: asking for any other one must not silently return it.
    if (
      secret === undefined ||
      (versionId !== undefined && versionId !== secret.versionId) ||
      (stage !== undefined && stage !== "AWSCURRENT")
    ) {
      throw new AwsError("ResourceNotFoundException", "Secrets Manager can't find the specified secret.")
    }
    return {
      ARN: secret.arn,
      Name: secret.name,
      VersionId: secret.versionId,
      SecretString: secret.value,
      VersionStages: ["AWSCURRENT"],
      CreatedDate: epochSeconds(secret.createdAt)
    }
  }

  return {
    arns: () => Object.fromEntries([...byName.values()].map((secret) => [secret.name, secret.arn])),
    set,
    remove: (name) => {
      byName.delete(name)
    },
    getSecretValue
  }
}
