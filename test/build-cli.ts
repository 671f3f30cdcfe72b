// vitest globalSetup: compile the CLI once, before tests run it as a child process (bin.mjs would
// otherwise rebuild it in every test file at once).
// @ts-expect-error: a plain ES module without types
import { build, stale } from '../cli/build.mjs';

export default async function setup() {
  if (stale()) await build();
}
