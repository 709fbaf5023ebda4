/**
 * The published `toshi` executable, built from the sources once per test process: tests that
 * spawn it call `await bundle()` for its path.
 */
export { bundle } from "../scripts/bundle.mjs"
