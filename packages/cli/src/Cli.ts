/**
 * The `toshi` command: `login`, `logout`, `token`, `whoami`, `aws-creds`, `status`, and `profile`
 * and `config` to set it up without editing a file; each with `--help`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Span from "@effect/cli/HelpDoc/Span"
import * as Options from "@effect/cli/Options"
import type * as ValidationError from "@effect/cli/ValidationError"
import { AuthError, Lifetime, TokenManager } from "@toshi/core"
import type { NodeAuth } from "@toshi/node"
import { ClientAuth, Cognito, CognitoConfig, IdentityPool, OAuth2, Oidc } from "@toshi/providers"
import * as Config from "effect/Config"
import * as Console from "effect/Console"
import * as DateTime from "effect/DateTime"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as AwsCredentials from "./AwsCredentials.js"
import * as ExitCode from "./ExitCode.js"
import * as Guidance from "./internal/guidance.js"
import * as Login from "./internal/login.js"
import * as Output from "./internal/output.js"
import * as Session from "./internal/session.js"
import { formatToken, minimumLifetimeSeconds } from "./internal/tokenOutput.js"
import * as Version from "./internal/version.js"
import * as Profile from "./Profile.js"
import * as Settings from "./Settings.js"

const profile = Options.text("profile").pipe(
  Options.withAlias("p"),
  Options.withDescription("The profile to use (default: `default`, or TOSHI_PROFILE); add one with `toshi profile add`"),
  Options.optional
)
const json = Options.boolean("json").pipe(Options.withAlias("j"), Options.withDescription("Print JSON instead of text"))

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
      Options.withAlias("f"),
      Options.withDescription("How to log in: password (default for Cognito), otp (a code sent by email), device, browser (default for OIDC profiles)"),
      Options.optional
    ),
    relogin: Options.boolean("relogin").pipe(Options.withDescription("Log in again even if the saved session is still valid")),
    noBrowser: Options.boolean("no-browser").pipe(Options.withDescription("Never open a browser: use the device flow instead")),
    username: Options.text("username").pipe(Options.withAlias("u"), Options.withDescription("The email or username, instead of being asked"), Options.optional),
    passwordStdin: Options.boolean("password-stdin").pipe(Options.withDescription("Read the password from standard input (for scripts)"))
  },
  (args) =>
    withConfig(Effect.gen(function*() {
      const selected = yield* Profile.select(args.profile)
      return yield* Guidance.guide(selected)(loginTo(selected, args))
    }))
).pipe(Command.withDescription(
  "Log in and save the session (0600 file). Reuses a valid saved session unless --relogin. " +
    "Without a terminal (CI) it never waits for a prompt: pass --username and --password-stdin, or it fails."
))

/** `login` once the profile is known: reuse a valid session, else log in and save. */
const loginTo = (
  selected: Profile.Profile,
  args: {
    readonly flow: Option.Option<Profile.Flow>
    readonly relogin: boolean
    readonly noBrowser: boolean
    readonly username: Option.Option<string>
    readonly passwordStdin: boolean
  }
) =>
  Effect.gen(function*() {
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
  })

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
    const now = DateTime.toEpochMillis(yield* DateTime.now)
    const usable = Lifetime.usableFor(DateTime.toEpochMillis(tokens.expiresAt), now, minimumLifetimeSeconds)
    return { session, tokens: usable ? tokens : yield* manager.forceRefresh }
  }))

const token = Command.make(
  "token",
  {
    profile,
    raw: Options.boolean("raw").pipe(Options.withAlias("r"), Options.withDescription("Print the bare token, for $(toshi token --raw)")),
    json: Options.boolean("json").pipe(Options.withAlias("j"), Options.withDescription("Print {access_token, token_type, expires_at (epoch seconds), scope}"))
  },
  (args) =>
    withConfig(Effect.gen(function*() {
      if (args.raw && args.json) return yield* new Profile.UsageError({ description: "--raw and --json cannot be used together" })
      const selected = yield* Profile.select(args.profile)
      const { tokens } = yield* Guidance.guide(selected)(currentTokens(selected))
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
      const { session, tokens } = yield* Guidance.guide(selected)(currentTokens(selected)).pipe(
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
      Options.withAlias("f"),
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

/** Why something could not be read, as data: the error's tag and reason, never its sentence. */
const problem = (error: { readonly _tag: string; readonly reason?: string }) => ({
  tag: error._tag,
  ...(error.reason === undefined ? {} : { reason: error.reason })
})

/** A profile's saved session, as `status` reports it. */
type SavedState =
  | { readonly exists: false; readonly error?: { readonly tag: string; readonly reason?: string } }
  | { readonly exists: true; readonly user: string; readonly expiresAt: string; readonly valid: boolean; readonly renewable: boolean }

const status = Command.make("status", { json, profile }, (args) =>
  withConfig(Effect.gen(function*() {
    const profiles = Option.isSome(args.profile) ? [yield* Profile.select(args.profile)] : yield* Profile.all
    const now = yield* DateTime.now
    const rows = yield* Effect.forEach(profiles, (selected) =>
      Effect.gen(function*() {
        const file = yield* Session.saved(selected)
        const stored = yield* Effect.either(file.store.load(file.key))
        // What `token` would use for `default`: M2M or an API key in the environment win over a login.
        const using = selected._tag === "Cognito"
          ? yield* Effect.match(Effect.scoped(Session.session(selected)), {
            onFailure: (error) => ({
              source: null,
              // Detection's own sentence lists one deployment's variables; the steps follow below.
              description: error._tag === "NoCredentialsError" && error.reason === "NotConfigured"
                ? "nothing: no saved login, machine credentials or API key found"
                : `nothing usable (${error.message})`,
              error: problem(error)
            }),
            onSuccess: (session) => ({ source: session.source, description: session.description })
          })
          : undefined
        const session: SavedState = stored._tag === "Left"
          ? { exists: false, error: problem(stored.left) }
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
        const loggedIn = (session.exists && (session.valid || session.renewable)) ||
          (using !== undefined && using.source !== null && using.source !== "SavedLogin")
        return {
          profile: selected.name,
          provider: selected._tag === "Cognito" ? "cognito" as const : "oidc" as const,
          issuer: selected._tag === "Oidc" ? selected.issuer : undefined,
          store: file.path,
          loggedIn,
          session,
          using
        }
      }))
    if (args.json) {
      yield* print(JSON.stringify(rows.map(({ issuer, using, ...row }) => ({
        ...row,
        ...(issuer === undefined ? {} : { issuer }),
        ...(using === undefined ? {} : { using: { source: using.source, ...("error" in using ? { error: using.error } : {}) } })
      }))))
    } else {
      yield* print(rows.map((row) => {
        const s = row.session
        const state = !s.exists
          ? s.error === undefined ? "not logged in" : `unreadable (${s.error.tag}${s.error.reason === undefined ? "" : ` ${s.error.reason}`})`
          : `logged in as ${s.user}, ${s.valid ? "valid" : "expired"} until ${s.expiresAt}${s.renewable ? " (renewable)" : ""}`
        return [
          `${row.profile} (${row.provider}${row.issuer === undefined ? "" : ` ${row.issuer}`})`,
          `  session: ${state}`,
          `  store:   ${row.store}`,
          ...(row.using === undefined ? [] : [`  using:   ${row.using.description}`])
        ].join("\n")
      }).join("\n"))
    }
    // As `gh auth status`: a script can ask `toshi status` whether anything is logged in.
    if (!rows.some((row) => row.loggedIn)) {
      const only = rows.length === 1 ? rows[0]! : undefined
      if (only?.profile === Profile.defaultProfile.name && !(yield* Guidance.cognitoConfigured)) return yield* Effect.flatMap(Guidance.notSetUp, Effect.fail)
      return yield* new AuthError.NoCredentialsError({
        reason: "NotLoggedIn",
        description: only === undefined
          ? "no profile is logged in: run `toshi login`, or `toshi login -p NAME` for a named profile"
          : `profile ${only.profile} is not logged in: run \`toshi login${only.profile === Profile.defaultProfile.name ? "" : ` -p ${only.profile}`}\``
      })
    }
  }))).pipe(Command.withDescription(
    "List every profile (or the one --profile names), its provider, and whether a session is saved and until when. " +
      "Exits with 3 when none is logged in."
  ))

// ---------------------------------------------------------------------------------------------
// profile

const profileName = Args.text({ name: "name" }).pipe(Args.withDescription("The profile's name: letters, digits, '.', '_' and '-'"))

const profileAdd = Command.make(
  "add",
  {
    name: profileName,
    issuer: Options.text("issuer").pipe(
      Options.withAlias("i"),
      Options.withDescription("The OpenID Connect issuer, found by discovery: https (plain http only on 127.0.0.1 or localhost)")
    ),
    clientId: Options.text("client-id").pipe(Options.withAlias("c"), Options.withDescription("The client id of the CLI's public client")),
    scope: Options.text("scope").pipe(
      Options.withAlias("s"),
      Options.withDescription("The scopes, space-separated (default: openid offline_access)"),
      Options.optional
    ),
    flow: Options.choice("flow", ["browser", "device", "password"]).pipe(
      Options.withAlias("f"),
      Options.withDescription("How `toshi login` logs in to it unless --flow says otherwise (default: browser, or device with --no-browser)"),
      Options.optional
    ),
    resource: Options.text("resource").pipe(Options.withDescription("The API the tokens are for (RFC 8707 resource)"), Options.optional),
    audience: Options.text("audience").pipe(Options.withDescription("The API the tokens are for, as Auth0 names it"), Options.optional),
    replace: Options.boolean("replace").pipe(Options.withDescription("Replace a profile of that name"))
  },
  (args) =>
    Effect.gen(function*() {
      const added = yield* Profile.add({
        name: args.name,
        issuer: args.issuer,
        clientId: args.clientId,
        scope: Option.getOrUndefined(Option.map(args.scope, (scope) => scope.split(" ").filter((s) => s !== ""))),
        flow: Option.getOrUndefined(args.flow),
        resource: Option.getOrUndefined(args.resource),
        audience: Option.getOrUndefined(args.audience),
        replace: args.replace
      })
      yield* print(`Added profile ${added.name} (${added.issuer}, client ${added.clientId}) to ${added.file}.\nLog in with: toshi login -p ${added.name}`)
    })
).pipe(Command.withDescription("Add an OpenID Connect profile (Keycloak, Auth0, Okta, Entra ID, a Cognito domain...) to the profiles file"))

const profileList = Command.make("list", { json }, (args) =>
  Effect.gen(function*() {
    const profiles = yield* Profile.all
    const file = yield* Profile.profilesFile
    const rows = profiles.map((p) =>
      p._tag === "Cognito"
        ? { name: p.name, provider: "cognito" as const }
        : {
          name: p.name,
          provider: "oidc" as const,
          issuer: p.issuer,
          clientId: p.clientId,
          scope: p.scope,
          ...(p.flow === undefined ? {} : { flow: p.flow }),
          ...(p.resource === undefined ? {} : { resource: p.resource }),
          ...(p.audience === undefined ? {} : { audience: p.audience })
        }
    )
    if (args.json) return yield* print(JSON.stringify(rows))
    yield* print([
      ...rows.map((row) =>
        "issuer" in row
          ? `${row.name.padEnd(16)}oidc     ${row.issuer} (client ${row.clientId}${row.flow === undefined ? "" : `, ${row.flow}`})`
          : `${row.name.padEnd(16)}cognito  the user pool of \`toshi config list\``
      ),
      `(named profiles are kept in ${file})`
    ].join("\n"))
  })).pipe(Command.withDescription("List the profiles: default (Cognito) and the named OpenID Connect ones"))

const profileRemove = Command.make("remove", { name: profileName }, (args) =>
  Effect.gen(function*() {
    const removed = yield* Profile.remove(args.name)
    // Its saved session would be left behind under a name nothing refers to any more.
    const file = yield* Session.saved(removed)
    const had = Option.isSome(yield* file.store.load(file.key))
    if (had) yield* file.store.withLock(file.key, file.store.clear(file.key))
    yield* print(`Removed profile ${removed.name} from ${removed.file}${had ? `, and its saved session from ${file.path}` : ""}.`)
  })).pipe(Command.withDescription("Remove a named profile, and its saved session"))

const profileCommand = Command.make("profile").pipe(
  Command.withDescription("Add, list and remove named profiles (~/.toshi/profiles.json, or the file TOSHI_PROFILES names)"),
  Command.withSubcommands([profileAdd, profileList, profileRemove])
)

// ---------------------------------------------------------------------------------------------
// config

const settingKey = Args.text({ name: "key" }).pipe(Args.withDescription(`One of ${Settings.keys.join(", ")}`))

const whereFrom = (entry: Settings.Entry) => {
  switch (entry.source) {
    case "environment":
      return `environment ${entry.variable}`
    case "file":
      return `file ${entry.file}`
    case "default":
      return "default"
    case "unset":
      return "not set"
  }
}

/** A variable in the environment wins over the file: say so, or the new value seems to do nothing. */
const shadowed = (entry: Settings.Entry) =>
  Effect.flatMap(
    Effect.orElseSucceed(Config.option(Config.nonEmptyString(entry.variable)), () => Option.none<string>()),
    (value) => Option.isSome(value) ? Console.error(`toshi: ${entry.variable} is set in the environment and wins over the file`) : Effect.void
  )

const configList = Command.make("list", { json }, (args) =>
  Effect.gen(function*() {
    const entries = yield* Settings.list
    if (args.json) {
      return yield* print(JSON.stringify(entries.map((e) => ({ key: e.key, value: e.value ?? null, source: e.source, variable: e.variable, file: e.file }))))
    }
    const width = Math.max(...entries.map((e) => (e.value ?? "").length), 9)
    yield* print(entries.map((e) => `${e.key.padEnd(20)}${(e.value ?? "-").padEnd(width + 2)}(${whereFrom(e)})`).join("\n"))
  })).pipe(Command.withDescription("Show each Cognito setting of the default profile, its value, and where it comes from (environment, file or default)"))

const configGet = Command.make("get", { key: settingKey }, (args) =>
  Effect.gen(function*() {
    const entry = yield* Settings.get(args.key)
    yield* print(entry.value!)
  })).pipe(Command.withDescription("Print one setting's value (exit 5 when it is not set)"))

const configSet = Command.make(
  "set",
  { key: settingKey, value: Args.text({ name: "value" }).pipe(Args.withDescription("The value")) },
  (args) =>
    Effect.gen(function*() {
      const entry = yield* Settings.set(args.key, args.value)
      yield* print(`Set ${entry.key} = ${entry.value} in ${entry.file}.`)
      yield* shadowed(entry)
    })
).pipe(Command.withDescription("Set one setting in the settings file (~/.toshi/auth_config.json, or the file TOSHI_COGNITO_CONFIG names), keeping the others"))

const configUnset = Command.make("unset", { key: settingKey }, (args) =>
  Effect.gen(function*() {
    const result = yield* Settings.unset(args.key)
    yield* print(result.removed ? `Removed ${result.key} from ${result.file}.` : `${result.key} is not in ${result.file}: nothing to remove.`)
  })).pipe(Command.withDescription("Remove one setting from the settings file"))

const configCommand = Command.make("config").pipe(
  Command.withDescription(
    `The default profile's Cognito settings, shared with the Python toshi-auth tool: ${Settings.keys.join(", ")}. ` +
      "An environment variable may override each: `toshi config list` shows which."
  ),
  Command.withSubcommands([configGet, configSet, configUnset, configList])
)

// ---------------------------------------------------------------------------------------------

const examples = HelpDoc.blocks([
  HelpDoc.h1("EXAMPLES"),
  HelpDoc.p("Set up a profile for an OpenID Connect issuer, log in, and call an API:"),
  HelpDoc.p([
    "  toshi profile add work --issuer https://id.example.org --client-id toshi-cli",
    "  toshi login -p work",
    "  curl -H \"authorization: $(toshi token -p work)\" https://api.example.org/"
  ].join("\n")),
  HelpDoc.p("Or a Cognito user pool, as the default profile:"),
  HelpDoc.p([
    "  toshi config set user_pool_id ap-southeast-2_AbCdEf",
    "  toshi config set scientist_client_id 1example23client",
    "  toshi login",
    "  toshi status"
  ].join("\n"))
])

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
  Command.withSubcommands([login, logout, token, whoami, awsCreds, status, profileCommand, configCommand])
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
  summary: Span.text("log in to an OAuth 2.0 / OpenID Connect issuer or a Cognito user pool, and hand valid tokens to scripts"),
  footer: HelpDoc.sequence(examples, exitCodes)
})

/** The failure a command ends with, for the exit code. */
export type Failure = AuthError.AuthError | Profile.UsageError | Profile.ConfigWriteError
