import type { Configuration } from "oidc-provider"

/**
 * The server's HTML pages: plain, self-contained (no external fonts or scripts), and quiet
 * (oidc-provider prints a notice whenever one of its default pages is used).
 */

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`)

export const page = (title: string, body: string): string => `<!DOCTYPE html>
<html>
<head><meta charset="utf-8"><title>${escapeHtml(title)}: toshi devserver</title></head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>`

/** The `id` of the sign-in form, which the scripted browser looks for. */
export const LOGIN_FORM_ID = "toshi-login"

export const loginPage = (action: string, clientId: string, error: string | undefined): string =>
  page(
    "Sign in",
    `<p>to <code>${escapeHtml(clientId)}</code> on the toshi development identity provider</p>
${error === undefined ? "" : `<p role="alert">${escapeHtml(error)}</p>`}
<form id="${LOGIN_FORM_ID}" method="post" action="${escapeHtml(action)}">
  <p><label>Username <input name="username" autocomplete="username" autofocus></label></p>
  <p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>
  <p><label>TOTP code, if your account has one <input name="totp" inputmode="numeric" autocomplete="one-time-code"></label></p>
  <button type="submit">Sign in</button>
  <button type="submit" name="abort" value="yes">Cancel</button>
</form>`
  )

type Features = NonNullable<Configuration["features"]>

export const deviceFlowPages: Pick<
  NonNullable<Features["deviceFlow"]>,
  "userCodeInputSource" | "userCodeConfirmSource" | "successSource"
> = {
  userCodeInputSource: (ctx, form, out) => {
    const error = out?.error_description ?? out?.error
    ctx.body = page(
      "Connect a device",
      `${error === undefined ? "" : `<p role="alert">${escapeHtml(String(error))}</p>`}
<p>Enter the code shown on your device.</p>
${form}
<button type="submit" form="op.deviceInputForm">Continue</button>`
    )
  },
  userCodeConfirmSource: (ctx, form, client, _deviceInfo, userCode) => {
    ctx.body = page(
      "Connect a device",
      `<p>Is <code>${escapeHtml(userCode)}</code> the code on your device, which asks to act as <code>${
        escapeHtml(client.clientId)
      }</code>?</p>
${form}
<button type="submit" form="op.deviceConfirmForm">Yes, continue</button>
<button type="submit" form="op.deviceConfirmForm" name="abort" value="yes">No, cancel</button>`
    )
  },
  successSource: (ctx) => {
    ctx.body = page("Device connected", "<p>You may close this page and return to your device.</p>")
  }
}

export const logoutPages: Pick<
  NonNullable<Features["rpInitiatedLogout"]>,
  "logoutSource" | "postLogoutSuccessSource"
> = {
  logoutSource: (ctx, form) => {
    ctx.body = page(
      "Sign out",
      `${form}
<button autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Sign out</button>
<button type="submit" form="op.logoutForm">Stay signed in</button>`
    )
  },
  postLogoutSuccessSource: (ctx) => {
    ctx.body = page("Signed out", "<p>You are signed out.</p>")
  }
}

export const renderError: NonNullable<Configuration["renderError"]> = (ctx, out) => {
  ctx.type = "html"
  ctx.body = page(
    "Error",
    `<p><code>${escapeHtml(String(out.error))}</code></p>
${out.error_description === undefined ? "" : `<p>${escapeHtml(String(out.error_description))}</p>`}`
  )
}
