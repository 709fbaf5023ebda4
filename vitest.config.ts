import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const packages = ["core", "providers", "stores", "node", "cli", "devserver", "server"]

export default defineConfig({
  resolve: {
    // Tests run against the sources; the published entry points are the compiled `dist/`.
    alias: Object.fromEntries(
      packages.map((name) => [`@toshi/${name}`, fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url))])
    )
  },
  test: {
    include: ["packages/*/test/**/*.test.ts", "examples/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // The AWS SDK warns once per process that its 2027 releases will need Node 22; the versions
    // pinned here support Node 20, and the warning would only bury real test output.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" }
  }
})
