// Starts cognito-local and the AWS emulator of the installed @toshi/devserver, prints one JSON line
// (the pool, its test user, the emulator's endpoint), and stops them on SIGTERM.
import { startAws, startCognito } from "@toshi/devserver"

const cognito = await startCognito()
const aws = await startAws({ region: cognito.region, identityProviders: [cognito.identityProvider], upstream: cognito.endpoint })
const user = cognito.users[0]
process.stdout.write(`${JSON.stringify({
  userPoolId: cognito.userPoolId,
  region: cognito.region,
  clientId: cognito.clientId,
  identityPoolId: aws.identityPoolId,
  username: user.username,
  password: user.password,
  endpoint: aws.endpoint
})}\n`)
const stop = () => aws.stop().then(() => cognito.stop()).then(() => process.exit(0), () => process.exit(1))
process.once("SIGTERM", stop)
process.once("SIGINT", stop)
