import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const packages = ["core", "providers", "stores", "node", "cli", "devserver", "server"]

export default defineConfig({
  resolve: {
    // Tests run against the sources; the published entry points are the compiled `dist/`. A
    // subpath (`@toshi/providers/OAuth2`) is the module of that name, as the exports maps say.
    alias: packages.flatMap((name) => [
      { find: new RegExp(`^@toshi/${name}$`), replacement: fileURLToPath(new URL(`./packages/${name}/src/index.ts`, import.meta.url)) },
      { find: new RegExp(`^@toshi/${name}/([A-Za-z0-9]+)$`), replacement: fileURLToPath(new URL(`./packages/${name}/src/$1.ts`, import.meta.url)) }
    ])
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
