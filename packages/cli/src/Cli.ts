/**
 * The `toshi` command: `login`, `logout`, `token`, `whoami`, `aws-creds` and `status`, each with
 * `--help` and `--profile`.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import type * as ValidationError from "@effect/cli/ValidationError"
import { type AuthError, TokenManager } from "@toshi/core"
import type { NodeAuth } from "@toshi/node"
import { ClientAuth, Cognito, CognitoConfig, IdentityPool, OAuth2, Oidc } from "@toshi/providers"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AwsCredentials from "./AwsCredentials.js"
import * as ExitCode from "./ExitCode.js"
import * as Login from "./internal/login.js"
import * as Output from "./internal/output.js"
import * as Session from "./internal/session.js"
import { formatToken, minimumLifetimeSeconds } from "./internal/tokenOutput.js"
import * as Version from "./internal/version.js"
import * as Profile from "./Profile.js"

const profile = Options.text("profile").pipe(
  Options.withDescription("The profile to use (default: `default`, or TOSHI_PROFILE); named profiles live in ~/.toshi/profiles.json"),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withDescription("Print JSON instead of text"))

/** Cognito settings come from the environment or else `auth_config.json`, for every command. */
const withConfig = <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.provide(effect, CognitoConfig.layer())

const print = (text: string) => Console.log(text)

const summary = (now: DateTime.Utc, identity: Output.Identity) =>
  `${identity.valid ? "valid" : "EXPIRED"} until ${identity.expiresAt} (${Output.relative(now, DateTime.unsafeMake(identity.expiresAt))})`

// ---------------------------------------------------------------------------------------------
// login

const login = Command.make(
  "login",
  {
    profile,
    flow: Options.choice("flow", Profile.flows).pipe(
      Options.withDescription("How to log in: password (default for Cognito), otp (a code sent by email), device, browser (default for OIDC profiles)"),
      Options.optional
    ),
    relogin: Options.boolean("relogin").pipe(Options.withDescription("Log in again even if the saved session is still valid")),
    noBrowser: Options.boolean("no-browser").pipe(Options.withDescription("Never open a browser: use the device flow instead")),
    username: Options.text("username").pipe(Options.withDescription("The email or username, instead of being asked"), Options.optional),
    passwordStdin: Options.boolean("password-stdin").pipe(Options.withDescription("Read the password from standard input (for scripts)"))
  },
  (args) =>
    withConfig(Effect.gen(function*() {
      const selected = yield* Profile.select(args.profile)
      const file = yield* Session.saved(selected)
      const now = yield* DateTime.now
      if (!args.relogin) {
        const reused = yield* reuse(selected)
        if (Option.isSome(reused)) {
          const identity = Output.identity(reused.value, now)
          return yield* print(
            `Already logged in as ${Output.who(identity)} (profile ${selected.name}), ${summary(now, identity)}.\n` +
              "Use --relogin to log in again."
          )
        }
      }
      const provider = yield* Login.provider(selected, Option.getOrUndefined(args.flow), {
        username: Option.getOrUndefined(args.username),
        passwordStdin: args.passwordStdin,
        noBrowser: args.noBrowser,
        interactive: process.stdin.isTTY === true
      })
      const tokens = yield* provider.acquire
      yield* file.store.withLock(file.key, file.store.save(file.key, tokens))
      const identity = Output.identity(tokens, yield* DateTime.now)
      yield* print([
        `Logged in as ${Output.who(identity)} (profile ${selected.name})`,
        `  scopes:   ${identity.scopes.length === 0 ? "(none listed)" : identity.scopes.join(" ")}`,
        `  expires:  ${identity.expiresAt} (${Output.relative(now, tokens.expiresAt)})${tokens.refreshToken === undefined ? "" : ", renewed automatically"}`,
        `  saved to: ${file.path}`
      ].join("\n"))
    }))
).pipe(Command.withDescription(
  "Log in and save the session (0600 file). Reuses a valid saved session unless --relogin. " +
    "Without a terminal (CI) it never waits for a prompt: pass --username and --password-stdin, or it fails."
))

/** The saved session, renewed if it must be; none when there is nothing usable (a broken file is still an error). */
const reuse = (selected: Profile.Profile) =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* Session.savedLogin(selected)
    const manager = yield* Session.manager(session)
    return yield* Effect.map(manager.token, Option.some)
  })).pipe(
    Effect.catchIf(
      (error) => error._tag !== "TokenStoreError",
      () => Effect.succeed(Option.none())
    )
  )

// ---------------------------------------------------------------------------------------------
// logout

const logout = Command.make("logout", { profile }, (args) =>
  withConfig(Effect.gen(function*() {
    const selected = yield* Profile.select(args.profile)
    const file = yield* Session.saved(selected)
    const tokens = yield* file.store.load(file.key)
    if (Option.isNone(tokens)) {
      return yield* print(`Already logged out of profile ${selected.name} (nothing saved in ${file.path}).`)
    }
    const revoked = tokens.value.refreshToken === undefined
      ? false
      : yield* revoke(selected, tokens.value.refreshToken).pipe(
        Effect.as(true),
        Effect.catchAll((error) =>
          Effect.as(Console.error(`toshi: could not revoke the session at the server (${error.message}); it ends when it expires`), false)
        )
      )
    yield* file.store.withLock(file.key, file.store.clear(file.key))
    yield* print(`Logged out of profile ${selected.name}: removed the saved session from ${file.path}${revoked ? " and revoked it at the server" : ""}.`)
  }))).pipe(Command.withDescription("Remove the saved session, revoking its refresh token where the server allows it"))

const revoke = (selected: Profile.Profile, refreshToken: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    if (selected._tag === "Cognito") {
      const settings = yield* CognitoConfig.require(["scientist_client_id"])
      return yield* Cognito.revoke({
        region: settings.region,
        clientId: settings.scientist_client_id,
        endpoint: yield* Session.awsEndpoint,
        refreshToken
      })
    }
    const metadata = yield* Oidc.discover(selected.issuer)
    if (metadata.revocation_endpoint === undefined) return
    yield* OAuth2.revoke({
      revocationEndpoint: metadata.revocation_endpoint,
      client: ClientAuth.none(selected.clientId),
      token: refreshToken,
      tokenTypeHint: "refresh_token"
    })
  })

// ---------------------------------------------------------------------------------------------
// token

/** The profile's token, renewed first when it must be. */
const currentTokens = (selected: Profile.Profile) =>
  Effect.scoped(Effect.gen(function*() {
    const session = yield* Session.session(selected)
    const manager = yield* Session.manager(session)
    const tokens = yield* manager.token
    // The manager keeps short-lived tokens until nearly their end; a script needs some life left.
    const left = DateTime.distance(yield* DateTime.now, tokens.expiresAt) / 1000
    return { session, tokens: left >= minimumLifetimeSeconds ? tokens : yield* manager.forceRefresh }
  }))

const token = Command.make(
  "token",
  {
    profile,
    raw: Options.boolean("raw").pipe(Options.withDescription("Print the bare token, for $(toshi token --raw)")),
    json: Options.boolean("json").pipe(Options.withDescription("Print {access_token, token_type, expires_at (epoch seconds), scope}"))
  },
  (args) =>
    withConfig(Effect.gen(function*() {
      if (args.raw && args.json) return yield* new Profile.UsageError({ description: "--raw and --json cannot be used together" })
      const selected = yield* Profile.select(args.profile)
      const { tokens } = yield* currentTokens(selected)
      const text = formatToken({
        accessToken: Redacted.value(tokens.accessToken),
        tokenType: tokens.tokenType,
        expiresAt: Math.floor(tokens.expiresAt.epochMillis / 1000),
        scope: tokens.scope
      }, args.raw ? "raw" : args.json ? "json" : "header")
      yield* Effect.sync(() => process.stdout.write(text))
    }))
).pipe(Command.withDescription(
  "Print a valid access token (`Bearer <token>`), renewing it first if needed. Notices go to stderr; stdout has only the token."
))

// ---------------------------------------------------------------------------------------------
// whoami

const whoami = Command.make(
  "whoami",
  {
    profile,
    json,
    // Masked unless asked: a boolean option is false when absent, so the flag is the negative one.
    showSecrets: Options.boolean("no-mask-secrets", { negationNames: ["mask-secrets"] }).pipe(
      Options.withDescription("Show the tokens in full; by default (--mask-secrets) only their first characters")
    )
  },
  (args) =>
    withConfig(Effect.gen(function*() {
      const selected = yield* Profile.select(args.profile)
      const { session, tokens } = yield* currentTokens(selected).pipe(
        // A session that cannot be renewed is still shown, as EXPIRED, with why on stderr.
        Effect.catchIf(
          (error) => error._tag === "RefreshFailedError",
          (error) =>
            Effect.gen(function*() {
              const file = yield* Session.saved(selected)
              const stored = yield* file.store.load(file.key)
              if (Option.isNone(stored)) return yield* error
              yield* Console.error(`toshi: ${error.message}`)
              return { session: { description: `the saved login in ${file.path}` }, tokens: stored.value }
            })
        )
      )
      const now = yield* DateTime.now
      const identity = Output.identity(tokens, now)
      const secrets = Output.secrets(tokens, !args.showSecrets)
      if (args.json) {
        return yield* print(JSON.stringify({ profile: selected.name, source: session.description, ...identity, tokens: secrets }))
      }
      const rows: Array<[string, string | undefined]> = [
        ["Profile", `${selected.name} (${session.description})`],
        ["Subject", identity.subject],
        ["Username", identity.username],
        ["Email", identity.email],
        ["Client id", identity.clientId],
        ["Scopes", identity.scopes.join(" ") || undefined],
        ["Groups", identity.groups.join(", ") || undefined],
        ["Issued", identity.issuedAt],
        ["Expires", summary(now, identity)],
        ["Access token", secrets.accessToken],
        ["ID token", secrets.idToken],
        ["Refresh token", secrets.refreshToken]
      ]
      yield* print(rows.filter(([, value]) => value !== undefined).map(([name, value]) => `${`${name}:`.padEnd(15)}${value}`).join("\n"))
    }))
).pipe(Command.withDescription("Show who the saved session belongs to: subject, username, email, client, scopes, groups, expiry"))

// ---------------------------------------------------------------------------------------------
// aws-creds

const awsCreds = Command.make(
  "aws-creds",
  {
    awsProfile: Options.text("profile").pipe(
      Options.withDescription(`The AWS profile (section of ~/.aws/credentials) to write; default ${AwsCredentials.defaultProfile}`),
      Options.withDefault(AwsCredentials.defaultProfile)
    ),
    toshiProfile: Options.text("toshi-profile").pipe(
      Options.withDescription("The toshi profile whose login is exchanged (default: `default`, or TOSHI_PROFILE)"),
      Options.optional
    ),
    format: Options.choice("format", ["file", "process", "env"]).pipe(
      Options.withDescription(
        "file: write the profile into ~/.aws/credentials; process: print credential_process JSON (Version 1, with Expiration); env: print export lines"
      ),
      Options.withDefault("file" as const)
    )
  },
  (args) =>
    withConfig(Effect.scoped(Effect.gen(function*() {
      const selected = yield* Profile.select(args.toshiProfile)
      if (selected._tag !== "Cognito") {
        return yield* new Profile.UsageError({ description: "aws-creds needs the Cognito profile (default): an identity pool trusts a Cognito user pool" })
      }
      const settings = yield* CognitoConfig.require(["identity_pool_id", "user_pool_id"])
      const manager = yield* Session.manager(yield* Session.savedLogin(selected))
      const credentials = yield* IdentityPool.awsCredentials({
        region: settings.region,
        identityPoolId: settings.identity_pool_id,
        userPoolId: settings.user_pool_id,
        endpoint: yield* Session.awsEndpoint
      }).pipe(Effect.provideService(TokenManager.TokenManager, manager))
      switch (args.format) {
        case "process":
          return yield* print(AwsCredentials.processJson(credentials))
        case "env":
          return yield* Effect.sync(() => process.stdout.write(AwsCredentials.envLines(credentials)))
        case "file": {
          const file = yield* AwsCredentials.defaultFile
          yield* AwsCredentials.writeProfile(file, args.awsProfile, credentials)
          return yield* print(
            `Wrote AWS credentials to [${args.awsProfile}] in ${file}, valid until ${DateTime.formatIso(credentials.expiration)}.\n` +
              `Use them with AWS_PROFILE=${args.awsProfile}, or let the AWS CLI renew them itself: credential_process = toshi aws-creds --format process`
          )
        }
      }
    })))
).pipe(Command.withDescription(
  "Exchange the login for temporary AWS credentials through the Cognito identity pool. --profile names the AWS profile; --toshi-profile the toshi one."
))

// ---------------------------------------------------------------------------------------------
// status

/** A profile's saved session, as `status` reports it. */
type SavedState =
  | { readonly exists: false; readonly error?: string }
  | { readonly exists: true; readonly user: string; readonly expiresAt: string; readonly valid: boolean; readonly renewable: boolean }

const status = Command.make("status", { json, profile }, (args) =>
  withConfig(Effect.gen(function*() {
    const profiles = Option.isSome(args.profile) ? [yield* Profile.select(args.profile)] : yield* Profile.all
    const now = yield* DateTime.now
    const rows = yield* Effect.forEach(profiles, (selected) =>
      Effect.gen(function*() {
        const file = yield* Session.saved(selected)
        const stored = yield* Effect.either(file.store.load(file.key))
        const using = selected._tag === "Cognito"
          ? yield* Effect.match(Effect.scoped(Session.session(selected)), {
            onFailure: (error) => `nothing usable (${error.message})`,
            onSuccess: (session) => session.description
          })
          : undefined
        const session: SavedState = stored._tag === "Left"
          ? { exists: false, error: stored.left.message }
          : Option.match(stored.right, {
            onNone: (): SavedState => ({ exists: false }),
            onSome: (tokens): SavedState => {
              const identity = Output.identity(tokens, now)
              return {
                exists: true,
                user: Output.who(identity),
                expiresAt: identity.expiresAt,
                valid: identity.valid,
                renewable: tokens.refreshToken !== undefined
              }
            }
          })
        return {
          profile: selected.name,
          provider: selected._tag === "Cognito" ? "cognito" : "oidc",
          ...(selected._tag === "Oidc" ? { issuer: selected.issuer } : {}),
          store: file.path,
          session,
          ...(using === undefined ? {} : { using })
        }
      }))
    if (args.json) return yield* print(JSON.stringify(rows))
    yield* print(rows.map((row) => {
      const s = row.session
      const state = !s.exists
        ? s.error === undefined ? "not logged in" : `unreadable: ${s.error}`
        : `logged in as ${s.user}, ${s.valid ? "valid" : "expired"} until ${s.expiresAt}${s.renewable ? " (renewable)" : ""}`
      return [
        `${row.profile} (${row.provider}${"issuer" in row ? ` ${row.issuer}` : ""})`,
        `  session: ${state}`,
        `  store:   ${row.store}`,
        ...(row.using === undefined ? [] : [`  using:   ${row.using}`])
      ].join("\n")
    }).join("\n"))
  }))).pipe(Command.withDescription("List every profile (or the one --profile names), its provider, and whether a session is saved and until when"))

// ---------------------------------------------------------------------------------------------

const exitCodes = HelpDoc.blocks([
  HelpDoc.h1("EXIT CODES"),
  HelpDoc.descriptionList(
    ExitCode.meanings.map(([code, meaning]) => [HelpDoc.getSpan(HelpDoc.p(String(code))), HelpDoc.p(meaning)]) as [
      [ReturnType<typeof HelpDoc.getSpan>, HelpDoc.HelpDoc],
      ...Array<[ReturnType<typeof HelpDoc.getSpan>, HelpDoc.HelpDoc]>
    ]
  )
])

/** The root command. */
const command = Command.make("toshi").pipe(
  Command.withDescription("Log in, keep tokens fresh, and hand them to scripts and the AWS CLI."),
  Command.withSubcommands([login, logout, token, whoami, awsCreds, status])
)

/**
 * Runs the command line (`process.argv`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const run: (
  argv: ReadonlyArray<string>
) => Effect.Effect<void, Failure | ValidationError.ValidationError, NodeAuth.Services> = Command.run(command, {
  name: "toshi",
  version: Version.version,
  footer: exitCodes
})

/** The failure a command ends with, for the exit code. */
export type Failure = AuthError.AuthError | Profile.UsageError
