import { statSync, readdirSync } from "node:fs";
import * as path from "node:path";

/** The repository root. */
export const ROOT = path.resolve(__dirname, "..", "..");

/**
 * Under vitest the serialized provider loads the COMPILED engine (dist/), because the host is a
 * plain node process that cannot load TypeScript; the consumer projects load the packed dist/ too.
 * Fails with the fix when dist/ is missing or older than the sources of `dirs` it is built from.
 */
export function assertDistIsFresh(dirs: readonly string[] = ["api", "webhook", "pulumi"]): void {
  const stale: string[] = [];
  for (const dir of dirs) {
    for (const file of readdirSync(path.join(ROOT, "src", dir))) {
      if (!file.endsWith(".ts")) continue;
      const src = path.join(ROOT, "src", dir, file);
      const out = path.join(ROOT, "dist", dir, file.replace(/\.ts$/, ".js"));
      let outTime = 0;
      try {
        outTime = statSync(out).mtimeMs;
      } catch {
        // missing
      }
      if (outTime < statSync(src).mtimeMs) stale.push(path.relative(ROOT, out));
    }
  }
  if (stale.length > 0) {
    throw new Error(`dist/ is missing or older than src/ (${stale.slice(0, 3).join(", ")}${stale.length > 3 ? ", ..." : ""}): run \`npm run build\` first (\`npm test\` does).`);
  }
}

/** This process's environment without the Tuco settings, so a provider host gets them through Configure (as from stack config) or not at all. */
export function envWithoutTuco(): NodeJS.ProcessEnv {
  const { TUCO_API_KEY: _k, TUCO_API_URL: _u, TUCO_TIMEOUT_MS: _t, ...rest } = process.env;
  return rest;
}
