import * as Prompt from "@effect/cli/Prompt"
import * as Terminal from "@effect/platform/Terminal"
import { AuthError, type AuthProvider } from "@toshi/core"
import { Browser, ClientAuth, Cognito, CognitoConfig, OAuth2, Oidc, type RedirectReceiver } from "@toshi/providers"
import * as Console from "effect/Console"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import type * as Profile from "../Profile.js"
import { UsageError } from "../Profile.js"
import * as Session from "./session.js"
import * as Spinner from "./spinner.js"

/** How the person answers: from the options, from a terminal, or not at all. */
export interface Answers {
  readonly username: string | undefined
  /** Read the password from standard input (for scripts: `… | toshi login --password-stdin`). */
  readonly passwordStdin: boolean
  /** Never open a browser: the device flow instead, where the server has one. */
  readonly noBrowser: boolean
  /** Whether a person can be asked (standard input is a terminal). */
  readonly interactive: boolean
}

export type LoginEnvironment =
  | Session.Environment
  | Terminal.Terminal
  | RedirectReceiver.RedirectReceiver
  | Browser.Browser

const needsTerminal = (what: string, instead: string) =>
  new UsageError({
    description: `toshi login needs a terminal to ask for ${what}, and standard input is not one. ${instead}`
  })

/**
 * A prompt, or a typed error when nobody can answer it: never a hang in CI. Ctrl-C at a prompt
 * (the terminal is in raw mode, so no SIGINT comes) interrupts, as Ctrl-C anywhere else does.
 */
const ask = <A>(answers: Answers, prompt: Prompt.Prompt<A>, what: string, instead: string) =>
  answers.interactive
    ? Effect.catchTag(prompt, "QuitException", () => Effect.interrupt)
    : Effect.fail(needsTerminal(what, instead))

const readStdin: Effect.Effect<string, AuthError.LoginFailedError> = Effect.tryPromise({
  try: async () => {
    const chunks: Array<Buffer> = []
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
    return Buffer.concat(chunks).toString("utf8").replace(/\r?\n$/, "")
  },
  catch: (cause) => new AuthError.LoginFailedError({ reason: "ExternalFailed", description: "could not read the password from standard input", cause })
})

const username = (answers: Answers) =>
  answers.username !== undefined
    ? Effect.succeed(answers.username)
    : ask(answers, Prompt.text({ message: "Email" }), "your email", "Pass it with --username.")

const password = (answers: Answers): Effect.Effect<Redacted.Redacted<string>, AuthError.LoginFailedError | UsageError, Terminal.Terminal> =>
  answers.passwordStdin
    ? Effect.flatMap(readStdin, (text) =>
      text === ""
        ? Effect.fail(new AuthError.LoginFailedError({ reason: "InvalidCredentials", description: "standard input held no password" }))
        : Effect.succeed(Redacted.make(text)))
    : ask(answers, Prompt.password({ message: "Password" }), "your password", "Pipe it with --password-stdin.")

/**
 * The device flow's instructions: on stderr, so that stdout has only the result; always as plain
 * lines, and on a terminal a spinner with the time left below them.
 */
const showDeviceCode = (spinner: ReturnType<typeof Spinner.make>) => (prompt: OAuth2.DeviceCodePrompt) =>
  Console.error(
    [
      `To log in, open ${prompt.verificationUri} and enter the code ${prompt.userCode}`,
      ...(prompt.verificationUriComplete === undefined ? [] : [`(or open ${prompt.verificationUriComplete})`]),
      `Waiting for approval (the code expires in ${Duration.format(prompt.expiresIn)})…`
    ].join("\n")
  ).pipe(Effect.zipRight(spinner.start(Duration.toMillis(prompt.expiresIn))))

/** The browser as `--no-browser` wants it: never opened, so the device flow takes over. */
const noBrowser: Browser.BrowserService = { available: Effect.succeed(false), open: () => Effect.succeed(false) }

/**
 * The provider that logs a person in to `profile` with `flow`.
 */
export const provider = (
  profile: Profile.Profile,
  flow: Profile.Flow | undefined,
  answers: Answers
): Effect.Effect<AuthProvider.AuthProviderService, AuthError.AuthError | UsageError, LoginEnvironment> =>
  Effect.suspend(() => {
    const spinner = Spinner.make(process.stderr, process.env)
    return Effect.map(make(profile, flow, answers, showDeviceCode(spinner)), (made) => ({
      ...made,
      acquire: Effect.ensuring(made.acquire, spinner.stop)
    }))
  })

const make = (
  profile: Profile.Profile,
  flow: Profile.Flow | undefined,
  answers: Answers,
  showDeviceCode: (prompt: OAuth2.DeviceCodePrompt) => Effect.Effect<void>
): Effect.Effect<AuthProvider.AuthProviderService, AuthError.AuthError | UsageError, LoginEnvironment> =>
  Effect.gen(function*() {
    if (profile._tag === "Cognito") {
      const chosen = flow ?? "password"
      if (chosen === "device" || chosen === "browser") {
        return yield* new UsageError({
          description: `Cognito user pools have no ${chosen === "device" ? "device flow" : "browser login"} through this profile: use --flow password or --flow otp, ` +
            "or add an OIDC profile for the pool's hosted UI in ~/.toshi/profiles.json"
        })
      }
      const settings = yield* CognitoConfig.require(["scientist_client_id"])
      const endpoint = yield* Session.awsEndpoint
      const common = {
        region: settings.region,
        clientId: settings.scientist_client_id,
        endpoint,
        key: profile.name
      }
      const user = yield* username(answers)
      if (chosen === "otp") {
        // Asked before Cognito sends a code: without a terminal nobody could type it in.
        if (!answers.interactive) return yield* needsTerminal("the emailed code", "Run it in a terminal.")
        const terminal = yield* Terminal.Terminal
        return yield* Cognito.makeCustomAuthOtp({
          ...common,
          username: user,
          otp: ({ attempt, destination }) =>
            Prompt.text({ message: `${attempt > 1 ? "Wrong code. " : ""}Code sent to ${destination ?? "your email"}` }).pipe(
              Effect.provideService(Terminal.Terminal, terminal),
              // Ctrl-C at the code prompt cancels, as it does at every other prompt.
              Effect.catchTag("QuitException", () => Effect.interrupt)
            )
        })
      }
      return yield* Cognito.makeUserPassword({ ...common, username: user, password: yield* password(answers) })
    }

    const metadata = yield* Oidc.discover(profile.issuer)
    const common = {
      tokenEndpoint: metadata.token_endpoint,
      client: ClientAuth.none(profile.clientId),
      scope: profile.scope,
      resource: profile.resource,
      audience: profile.audience,
      idToken: Oidc.validation(metadata),
      key: profile.name
    }
    const device = metadata.device_authorization_endpoint
    const chosen = flow ?? profile.flow ?? (answers.noBrowser && device !== undefined ? "device" : "browser")
    switch (chosen) {
      case "otp":
        return yield* new UsageError({ description: "--flow otp is for the Cognito profile; OIDC profiles log in with browser, device or password" })
      case "password":
        return yield* OAuth2.makePassword({ ...common, username: yield* username(answers), password: yield* password(answers) })
      case "device":
        if (device === undefined) {
          return yield* new UsageError({ description: `${profile.issuer} has no device authorization endpoint: use --flow browser` })
        }
        return yield* OAuth2.makeDeviceCode({ ...common, deviceAuthorizationEndpoint: device, onPrompt: showDeviceCode })
      case "browser": {
        if (metadata.authorization_endpoint === undefined) {
          return yield* new UsageError({ description: `${profile.issuer} has no authorization endpoint: use --flow device` })
        }
        const make = OAuth2.makeAuthorizationCode({
          ...common,
          authorizationEndpoint: metadata.authorization_endpoint,
          onOpen: (url) => Console.error(`Opening the browser to log in. If it does not open, visit:\n${url}`),
          deviceFallback: device === undefined ? undefined : { deviceAuthorizationEndpoint: device, onPrompt: showDeviceCode }
        })
        return yield* (answers.noBrowser ? Effect.provideService(make, Browser.Browser, noBrowser) : make)
      }
    }
  })
