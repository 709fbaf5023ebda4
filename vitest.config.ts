import { fileURLToPath } from "node:url"
import { defineConfig } from "vitest/config"

const packages = ["core", "providers", "stores", "node", "cli", "devserver"]

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
    hookTimeout: 60_000
  }
})
