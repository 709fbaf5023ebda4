/**
 * A minimal scripted browser for the provider's own pages: a cookie jar for the issuer's origin and
 * manual redirects, so a test can walk the authorization and device pages as a person would,
 * over real HTTP.
 */

const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"])
const MAX_STEPS = 30

interface Cookie {
  readonly name: string
  readonly value: string
  readonly path: string
}

export type Form = Readonly<Record<string, string>>

export interface Page {
  readonly url: URL
  readonly status: number
  readonly body: string
}

/** Where a walk ended: on a page of the issuer, or at a redirect that leaves it. */
export type WalkEnd =
  | { readonly _tag: "Page"; readonly page: Page }
  | { readonly _tag: "Left"; readonly url: URL }

export const isLoopback = (url: URL): boolean => LOOPBACK_HOSTS.has(url.hostname)

export class Browser {
  private readonly jar = new Map<string, Cookie>()

  constructor(private readonly origin: string) {}

  /** One request, no redirect followed; cookies sent and stored for the issuer's origin only. */
  async request(url: URL, form?: Form): Promise<Response> {
    const headers: Record<string, string> = {}
    const own = url.origin === this.origin
    if (own) {
      const cookie = this.cookieHeader(url.pathname)
      if (cookie !== "") headers.cookie = cookie
    }
    const init: RequestInit = { method: form === undefined ? "GET" : "POST", headers, redirect: "manual" }
    if (form !== undefined) {
      headers["content-type"] = "application/x-www-form-urlencoded"
      init.body = new URLSearchParams(form).toString()
    }
    const response = await fetch(url, init)
    if (own) this.store(response.headers.getSetCookie(), url)
    return response
  }

  /**
   * Follows redirects inside the issuer from `url` (POSTing `form` first when given). On each page
   * of the issuer, `onPage` may answer with a form to POST back to that page; otherwise the walk
   * ends there. A redirect to another origin ends the walk without being requested.
   */
  async walk(url: URL, form: Form | undefined, onPage: (page: Page) => Form | undefined): Promise<WalkEnd> {
    let current = url
    let pending = form
    for (let step = 0; step < MAX_STEPS; step++) {
      if (current.origin !== this.origin) {
        return { _tag: "Left", url: current }
      }
      const response = await this.request(current, pending)
      pending = undefined
      const location = response.headers.get("location")
      if (response.status >= 300 && response.status < 400 && location !== null) {
        await response.arrayBuffer()
        current = new URL(location, current)
        continue
      }
      const page: Page = { url: current, status: response.status, body: await response.text() }
      const answer = onPage(page)
      if (answer === undefined) {
        return { _tag: "Page", page }
      }
      pending = answer
    }
    throw new Error(`the browser gave up after ${MAX_STEPS} steps`)
  }

  private cookieHeader(path: string): string {
    const parts: Array<string> = []
    for (const cookie of this.jar.values()) {
      const prefix = cookie.path.endsWith("/") ? cookie.path : `${cookie.path}/`
      if (path === cookie.path || path.startsWith(prefix)) {
        parts.push(`${cookie.name}=${cookie.value}`)
      }
    }
    return parts.join("; ")
  }

  private store(setCookies: ReadonlyArray<string>, url: URL): void {
    for (const header of setCookies) {
      const [pair = "", ...attributes] = header.split(";")
      const separator = pair.indexOf("=")
      if (separator <= 0) continue
      const name = pair.slice(0, separator).trim()
      const value = pair.slice(separator + 1).trim()
      let path = url.pathname.slice(0, url.pathname.lastIndexOf("/") + 1) || "/"
      let expired = value === ""
      for (const attribute of attributes) {
        const [rawKey = "", ...rest] = attribute.split("=")
        const key = rawKey.trim().toLowerCase()
        const attributeValue = rest.join("=").trim()
        if (key === "path" && attributeValue.startsWith("/")) path = attributeValue
        if (key === "max-age" && Number(attributeValue) <= 0) expired = true
        if (key === "expires" && Date.parse(attributeValue) <= Date.now()) expired = true
      }
      const jarKey = `${name}\u0000${path}`
      if (expired) {
        this.jar.delete(jarKey)
      } else {
        this.jar.set(jarKey, { name, value, path })
      }
    }
  }
}
