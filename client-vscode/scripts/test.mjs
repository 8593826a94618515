// Unit tests for the client logic: bundles test/*.test.ts with esbuild (no `vscode` import is
// reachable from them) and runs them with node's built-in test runner.
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { build } from "esbuild";

const tests = readdirSync("test").filter((f) => f.endsWith(".test.ts"));
rmSync("dist-test", { recursive: true, force: true });
await build({
  entryPoints: tests.map((f) => `test/${f}`),
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  outdir: "dist-test",
  external: ["vscode"],
  logLevel: "warning",
});
const files = tests.map((f) => `dist-test/${f.replace(/\.ts$/, ".js")}`);
const r = spawnSync(process.execPath, ["--test", ...files], { stdio: "inherit" });
process.exit(r.status ?? 1);
