// The demo runs against the embedded local identity provider (@toshi/devserver), which does not
// exist yet. Say so plainly rather than pretend.
console.error(
  "The toshi demo is not available yet: it needs the local identity provider (@toshi/devserver),\n" +
    "which arrives with the OAuth 2.0 / OIDC providers. Run the tests instead:\n\n" +
    "  npx -y pnpm@12.4.2 test\n"
)
process.exit(1)
