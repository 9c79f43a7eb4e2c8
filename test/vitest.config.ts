import { resolve } from "node:path";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: resolve(__dirname, ".."),
  test: {
    include: ["test/**/*.test.ts"],
    // End-to-end tests drive real processes (terraform, the Pulumi host, the CLI): give them room.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: each file already spawns processes of its own.
    pool: "forks",
    maxWorkers: 2,
  },
});
