import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  root: fileURLToPath(new URL("..", import.meta.url)),
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
