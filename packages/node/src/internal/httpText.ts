/**
 * Helpers that turn what an HTTP exchange produced into text fit for an error message: a URL
 * without its query (a pre-signed URL's query is a credential), a short excerpt of a body, and the
 * innermost useful message of a transport error.
 */

/** The URL without its query and fragment: pre-signed URLs carry their signature there. */
export const redactUrl = (url: string): string => {
  try {
    const parsed = new URL(url)
    const hidden = parsed.search !== "" ? "?…" : ""
    return `${parsed.origin}${parsed.pathname}${hidden}`
  } catch {
    const cut = url.search(/[?#]/)
    return cut === -1 ? url : `${url.slice(0, cut)}?…`
  }
}

const excerptLength = 200

/** The start of a body, on one line, cut to a length that fits in a message. */
export const excerpt = (text: string): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length <= excerptLength ? line : `${line.slice(0, excerptLength)}…`
}

/**
 * The message of an error and of the causes under it, outermost first, e.g.
 * `"Transport error (GET http://…): connect ECONNREFUSED 127.0.0.1:9"`. Messages that repeat
 * their parent's are left out.
 */
export const describeCause = (error: unknown): string => {
  const parts: Array<string> = []
  let current: unknown = error
  for (let depth = 0; depth < 4 && current !== undefined && current !== null; depth++) {
    const message = current instanceof Error || (typeof current === "object" && "message" in current)
      ? String((current as { message: unknown }).message)
      : String(current)
    if (message !== "" && !parts.some((part) => part.includes(message))) parts.push(message)
    current = typeof current === "object" && "cause" in current ? (current as { cause: unknown }).cause : undefined
  }
  return parts.join(": ")
}
