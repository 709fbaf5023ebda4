// A plain-JS app without Effect, as CommonJS: `require` of toshi's ES modules (Node >= 20.19).
const { createTokenClient } = require("@toshi/node/TokenClient")

const client = createTokenClient({
  provider: {
    type: "clientCredentials",
    tokenEndpoint: process.env.TOKEN_ENDPOINT,
    clientId: process.env.CLIENT_ID,
    clientSecret: process.env.CLIENT_SECRET,
    scope: ["read"]
  }
})
client.headers().then(
  (headers) => {
    console.log(JSON.stringify({ module: "cjs", scheme: headers.authorization.split(" ")[0], parts: headers.authorization.split(".").length }))
    return client.close()
  },
  (error) => {
    console.error(error.message)
    process.exitCode = 1
    return client.close()
  }
)
