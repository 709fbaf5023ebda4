// A plain-JS app without Effect, as an ES module.
import { createTokenClient } from "@toshi/node/TokenClient"

const client = createTokenClient({
  provider: {
    type: "clientCredentials",
    tokenEndpoint: process.env.TOKEN_ENDPOINT,
    clientId: process.env.CLIENT_ID,
    clientSecret: process.env.CLIENT_SECRET,
    scope: ["read"]
  }
})
try {
  const headers = await client.headers()
  console.log(JSON.stringify({ module: "esm", scheme: headers.authorization.split(" ")[0], parts: headers.authorization.split(".").length }))
} finally {
  await client.close()
}
