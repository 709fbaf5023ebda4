import * as FileSystem from "@effect/platform/FileSystem"
import * as Path from "@effect/platform/Path"
import { AuthError } from "@toshi/core"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Random from "effect/Random"
import * as Ini from "ini"

/** One key of a profile and its value, in the order they are written. */
export type Entry = readonly [key: string, value: string]

/**
 * The profile names the AWS SDKs themselves accept in a section header (the JavaScript SDK's
 * `[\w-@+.%:/]`): nothing that a parser could read as a bracket, a comment or a line break.
 */
const profileName = /^[A-Za-z0-9_\-@+.%:/]+$/

/** Why `profile` cannot be a section name, if it cannot. */
export const checkProfile = (profile: string): string | undefined =>
  profile === ""
    ? "the AWS profile name is empty"
    : profile === "__proto__"
    ? "the AWS profile name __proto__ is refused by the AWS SDKs"
    : profileName.test(profile)
    ? undefined
    : `the AWS profile name ${JSON.stringify(profile)} is not a plain INI section name: ` +
      "use letters, digits and - _ . @ + % : / only"

/**
 * Why `value` cannot be written as the value of `key`, if it cannot. A line break would let the
 * value start a section of its own; whitespace, `;` or `#` would be cut off as a comment by the
 * SDKs. The value itself is never part of the answer: it is a secret.
 */
const checkValue = (key: string, value: string): string | undefined =>
  /^[^\s;#]+$/.test(value)
    ? undefined
    : `the value for ${key} is empty or has whitespace, ';' or '#', which an AWS credentials file cannot hold`

interface Line {
  text: string
  /** The line's own terminator, kept as it was: "\n", "\r\n", "\r", or "" for the last line. */
  eol: string
}

const splitLines = (text: string): Array<Line> => {
  // Each line keeps its own terminator, so that an edit writes back the file's own line breaks.
  const parts = text.split(/(\r\n|\n|\r)/)
  const lines: Array<Line> = []
  for (let i = 0; i < parts.length; i += 2) lines.push({ text: parts[i]!, eol: parts[i + 1] ?? "" })
  return lines
}

/** The section a line opens (trimmed, it starts with `[` and ends with `]`). */
const sectionOf = (line: string): string | undefined => {
  const trimmed = line.trim()
  return trimmed.length >= 2 && trimmed.startsWith("[") && trimmed.endsWith("]") ? trimmed.slice(1, -1) : undefined
}

/** The key of a `key = value` line, lower-cased as botocore reads it; `undefined` for anything else. */
const keyOf = (line: string): string | undefined => {
  const trimmed = line.trim()
  if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";") || trimmed.startsWith("[")) return undefined
  const equals = trimmed.indexOf("=")
  return equals < 0 ? undefined : trimmed.slice(0, equals).trim().toLowerCase()
}

/**
 * Why `lines` are not an INI file we can edit safely, if they are not: every line is blank, a
 * comment, a `[section]` header or a `key = value` pair. No line's text is part of the answer, so
 * that no line of a credentials file can reach an error message.
 */
const checkLines = (lines: ReadonlyArray<Line>): string | undefined => {
  for (const [index, { text }] of lines.entries()) {
    const trimmed = text.trim()
    if (trimmed === "" || trimmed.startsWith("#") || trimmed.startsWith(";") || sectionOf(text) !== undefined) continue
    if (trimmed.startsWith("[")) {
      return `line ${index + 1} starts a [section] header that does not end with ']' on the same line`
    }
    const key = keyOf(text)
    if (key === undefined || key === "") {
      return `line ${index + 1} is neither a [section] header, a key = value pair, a comment nor blank`
    }
  }
  return undefined
}

/**
 * Why `text`, read back by an INI parser, does not hold `entries` in `[profile]`, if it does not:
 * the last check before writing, that the edit says what it meant to.
 */
const checkWritten = (text: string, profile: string, entries: ReadonlyArray<Entry>): string | undefined => {
  // The parser nests a dotted section name (`[a.b]` as `a` then `b`).
  const section = profile.split(".").reduce<unknown>(
    (parent, part) => typeof parent === "object" && parent !== null ? (parent as Record<string, unknown>)[part] : undefined,
    Ini.parse(text)
  ) as Record<string, unknown> | undefined
  const wrong = entries.find(([key, value]) => section?.[key] !== value)
  return wrong === undefined ? undefined : `the edited file would not read back ${wrong[0]} in [${profile}]`
}

/**
 * `text` with the section `[profile]` holding `entries`. An existing section keeps its place, its
 * comments and its other keys; only the lines of `entries`' keys change (missing ones go after its
 * last key). A missing section is appended. Every other byte of `text` stays as it was.
 * `Left` says why the file is not one we can edit safely.
 */
export const upsertSection = (
  text: string,
  profile: string,
  entries: ReadonlyArray<Entry>
): Either.Either<string, string> => {
  const lines = splitLines(text)
  const unreadable = checkLines(lines)
  if (unreadable !== undefined) return Either.left(unreadable)
  const eol = /\r\n|\n|\r/.exec(text)?.[0] ?? "\n"
  const render = ([key, value]: Entry) => `${key} = ${value}`
  const checked = (updated: string): Either.Either<string, string> => {
    const wrong = checkWritten(updated, profile, entries)
    return wrong === undefined ? Either.right(updated) : Either.left(wrong)
  }

  const headers = lines.flatMap((line, index) => sectionOf(line.text) === profile ? [index] : [])
  if (headers.length > 1) {
    return Either.left(
      `the profile [${profile}] appears ${headers.length} times (lines ${headers.map((i) => i + 1).join(", ")}); ` +
        "the AWS CLI refuses such a file: keep one of them"
    )
  }

  const start = headers[0]
  if (start === undefined) {
    let prefix = text
    if (prefix !== "" && !/[\r\n]$/.test(prefix)) prefix += eol
    // A blank line between the last section and ours, as `aws configure` writes them.
    if (prefix !== "" && splitLines(prefix).at(-2)?.text.trim() !== "") prefix += eol
    return checked(prefix + [`[${profile}]`, ...entries.map(render)].join(eol) + eol)
  }

  let end = start + 1
  while (end < lines.length && sectionOf(lines[end]!.text) === undefined) end++

  const wanted = new Map(entries.map(([key, value]) => [key.toLowerCase(), [key, value] as const]))
  const written = new Set<string>()
  const body: Array<Line> = []
  let lastKey = -1
  for (let index = start + 1; index < end; index++) {
    const line = lines[index]!
    const key = keyOf(line.text)
    const entry = key === undefined ? undefined : wanted.get(key)
    if (key !== undefined && entry !== undefined) {
      if (written.has(key)) continue // a repeated key of ours: one line of each is enough
      written.add(key)
      body.push({ text: render(entry), eol: line.eol })
    } else {
      body.push(line)
    }
    if (key !== undefined) lastKey = body.length - 1
  }
  const missing = entries.filter(([key]) => !written.has(key.toLowerCase())).map((entry) => ({ text: render(entry), eol }))
  if (missing.length > 0) {
    const after = lastKey < 0 ? lines[start]! : body[lastKey]!
    if (after.eol === "") after.eol = eol
    body.splice(lastKey + 1, 0, ...missing)
  }
  const result = [...lines.slice(0, start + 1), ...body, ...lines.slice(end)]
  return checked(result.map((line) => line.text + line.eol).join(""))
}

const isNotFound = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { reason?: string }).reason === "NotFound"

const isPermission = (error: unknown): boolean =>
  typeof error === "object" && error !== null && (error as { reason?: string }).reason === "PermissionDenied"

/** A temporary file's name starts with its writer's pid, so that a leftover can be traced. */
const ownPid = (): number => (globalThis as { process?: { pid?: number } }).process?.pid ?? 0

/**
 * Writes `entries` as the section `[profile]` of the INI file `filePath`, atomically (a new file in
 * the same directory, flushed, then renamed over the old one), mode 0600, the directory 0700 if it
 * has to be made. A file that cannot be read as INI is reported and left as it is.
 */
export const write = (
  filePath: string,
  profile: string,
  entries: ReadonlyArray<Entry>
): Effect.Effect<{ readonly created: boolean }, AuthError.TokenStoreError, FileSystem.FileSystem | Path.Path> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const path = yield* Path.Path
    const requested = path.resolve(filePath)

    const fail = (reason: AuthError.TokenStoreError["reason"], description: string, file = requested, cause?: unknown) =>
      new AuthError.TokenStoreError({ reason, description, path: file, ...(cause === undefined ? {} : { cause }) })
    const ioFailure = (what: string, file = requested) => (cause: unknown) =>
      fail(isPermission(cause) ? "Permission" : "Io", `could not ${what}`, file, cause)

    const problem = checkProfile(profile) ?? entries.map(([key, value]) => checkValue(key, value)).find((p) => p !== undefined)
    if (problem !== undefined) return yield* fail("Unsupported", problem)

    // A linked credentials file (e.g. kept in a dotfiles repository) stays linked: write its target.
    const file = yield* fs.realPath(requested).pipe(
      Effect.catchIf(isNotFound, () => Effect.succeed(requested)),
      Effect.mapError(ioFailure("resolve the path of the AWS credentials file"))
    )
    const bytes = yield* fs.readFile(file).pipe(
      Effect.map(Option.some),
      Effect.catchIf(isNotFound, () => Effect.succeedNone),
      Effect.mapError(ioFailure("read the AWS credentials file", file))
    )
    let text = ""
    if (Option.isSome(bytes)) {
      try {
        // `ignoreBOM` keeps a byte order mark in the text, so that it is written back.
        text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes.value)
      } catch {
        return yield* fail("Corrupt", "the AWS credentials file is not UTF-8 text; it was left as it is", file)
      }
    }
    const updated = yield* Either.match(upsertSection(text, profile, entries), {
      onLeft: (why) =>
        Effect.fail(fail(
          "Corrupt",
          `the AWS credentials file cannot be edited: ${why}; it was left as it is: fix it, or name another file ` +
            "with AWS_SHARED_CREDENTIALS_FILE",
          file
        )),
      onRight: Effect.succeed
    })

    const directory = path.dirname(file)
    yield* fs.makeDirectory(directory, { recursive: true, mode: 0o700 }).pipe(
      Effect.mapError(ioFailure(`create the directory ${directory}`, directory))
    )
    const temp = `${file}.${ownPid()}-${(yield* Random.nextInt).toString(36)}.tmp`
    yield* Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(temp, { flag: "wx", mode: 0o600 })
      yield* handle.writeAll(new TextEncoder().encode(updated))
      yield* handle.sync
    })).pipe(
      Effect.zipRight(fs.rename(temp, file)),
      Effect.mapError(ioFailure("write the AWS credentials file", file)),
      Effect.tapError(() => Effect.ignore(fs.remove(temp)))
    )
    // Make the rename itself durable; not every platform can open a directory, and that is fine.
    yield* Effect.scoped(Effect.flatMap(fs.open(directory, { flag: "r" }), (dir) => dir.sync)).pipe(Effect.ignore)
    return { created: Option.isNone(bytes) }
  })
