import { randomBytes, randomUUID, timingSafeEqual } from "node:crypto"
import { generateSecret, verifyTotp } from "./totp.js"

/** A seeded test user. `totpSecret` (base32) makes a TOTP code part of every sign-in. */
export interface User {
  readonly username: string
  readonly password: string
  readonly email: string
  readonly sub: string
  readonly totpSecret?: string
}

export const seedUsers = (): ReadonlyArray<User> => [
  { username: "alice", password: randomSecret(), email: "alice@example.com", sub: randomUUID() },
  {
    username: "bob",
    password: randomSecret(),
    email: "bob@example.com",
    sub: randomUUID(),
    totpSecret: generateSecret()
  }
]

export const randomSecret = (): string => randomBytes(18).toString("base64url")

export type Authentication =
  | { readonly _tag: "Authenticated"; readonly user: User }
  | { readonly _tag: "Rejected"; readonly description: string }

const sameText = (a: string, b: string): boolean => {
  const left = Buffer.from(a)
  const right = Buffer.from(b)
  return left.length === right.length && timingSafeEqual(left, right)
}

/**
 * The one check behind the password grant and the sign-in page, so both reject with the same
 * words. The descriptions are part of the contract: tests and clients match on them.
 */
export const authenticate = (
  users: ReadonlyArray<User>,
  credentials: { readonly username?: string | undefined; readonly password?: string | undefined; readonly totp?: string | undefined }
): Authentication => {
  const user = users.find((candidate) => candidate.username === credentials.username)
  if (user === undefined || credentials.password === undefined || !sameText(user.password, credentials.password)) {
    return { _tag: "Rejected", description: "wrong username or password" }
  }
  if (user.totpSecret !== undefined) {
    if (credentials.totp === undefined || credentials.totp === "") {
      return { _tag: "Rejected", description: "a TOTP code is required" }
    }
    if (!verifyTotp(user.totpSecret, credentials.totp)) {
      return { _tag: "Rejected", description: "wrong TOTP code" }
    }
  }
  return { _tag: "Authenticated", user }
}
