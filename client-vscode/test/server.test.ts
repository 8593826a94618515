import assert from "node:assert/strict";
import * as path from "node:path";
import { test } from "node:test";

import {
  NOT_FOUND_MESSAGE,
  type Probe,
  resolveServerCommand,
  type ServerCommand,
  shellQuote,
  wrapperCommandLine,
} from "../src/server";
import { DEFAULTS, type Settings } from "../src/settings";

const ROOT = "/ext";
const ENTRY = path.join(ROOT, "bundled", "entry.py");

function withServer(server: Partial<Settings["server"]>): Settings {
  return { ...DEFAULTS, server: { ...DEFAULTS.server, ...server } };
}

function probe(over: Partial<Probe> & { versions?: Record<string, [number, number]> } = {}): Probe {
  const versions = over.versions ?? {};
  return {
    pythonVersion: async (argv) => versions[argv[0]],
    pythonExtensionInterpreter: async () => undefined,
    hasBundled: () => true,
    pathCandidates: ["python3", "python3.12"],
    ...over,
  };
}

test("resolve_server_path_wins_and_is_used_verbatim", async () => {
  const r = await resolveServerCommand(withServer({ path: ["ad", "serve"], interpreter: ["py"] }), ROOT, probe());
  assert.deepEqual(r, { source: "server.path", command: "ad", args: ["serve"], env: { PYTHONUNBUFFERED: "1" } });
});

test("resolve_interpreter_runs_bundled_entry", async () => {
  const r = (await resolveServerCommand(
    withServer({ interpreter: ["/venv/bin/python", "-X", "utf8"] }),
    ROOT,
    probe({ versions: { "/venv/bin/python": [3, 12] } }),
  )) as ServerCommand;
  assert.equal(r.source, "server.interpreter");
  assert.equal(r.command, "/venv/bin/python");
  assert.deepEqual(r.args, ["-X", "utf8", ENTRY, "serve"]);
});

test("resolve_interpreter_without_bundle_uses_dash_m", async () => {
  const r = (await resolveServerCommand(
    withServer({ interpreter: ["/venv/bin/python"] }),
    ROOT,
    probe({ versions: { "/venv/bin/python": [3, 11] }, hasBundled: () => false }),
  )) as ServerCommand;
  assert.deepEqual(r.args, ["-m", "accessdenied", "serve"]);
});

test("resolve_old_interpreter_is_an_error_naming_both_settings", async () => {
  const r = await resolveServerCommand(
    withServer({ interpreter: ["/usr/bin/python3.9"] }),
    ROOT,
    probe({ versions: { "/usr/bin/python3.9": [3, 9] } }),
  );
  assert.ok("error" in r);
  assert.match(r.error, /accessdenied\.server\.interpreter/);
  assert.match(r.error, /accessdenied\.server\.path/);
  assert.match(r.error, /Python 3\.9/);
});

test("resolve_python_extension_environment_before_path", async () => {
  const r = (await resolveServerCommand(
    DEFAULTS,
    ROOT,
    probe({
      pythonExtensionInterpreter: async () => ["/proj/.venv/bin/python"],
      versions: { "/proj/.venv/bin/python": [3, 13], python3: [3, 11] },
    }),
  )) as ServerCommand;
  assert.equal(r.source, "python-extension");
  assert.equal(r.command, "/proj/.venv/bin/python");
});

test("resolve_skips_too_old_python_extension_environment", async () => {
  const r = (await resolveServerCommand(
    DEFAULTS,
    ROOT,
    probe({
      pythonExtensionInterpreter: async () => ["/old/python"],
      versions: { "/old/python": [3, 8], "python3.12": [3, 12], python3: [3, 10] },
    }),
  )) as ServerCommand;
  assert.equal(r.source, "bundled");
  assert.equal(r.command, "python3.12");
  assert.deepEqual(r.args, [ENTRY, "serve"]);
});

test("resolve_nothing_found_names_both_settings", async () => {
  const r = await resolveServerCommand(DEFAULTS, ROOT, probe({ versions: {} }));
  assert.deepEqual(r, { error: NOT_FOUND_MESSAGE });
  assert.match(NOT_FOUND_MESSAGE, /"accessdenied\.server\.path".*"accessdenied\.server\.interpreter"/);
});

test("resolve_without_bundle_and_settings_is_an_error", async () => {
  const r = await resolveServerCommand(DEFAULTS, ROOT, probe({ hasBundled: () => false, versions: { python3: [3, 12] } }));
  assert.ok("error" in r);
});

test("wrapper_uses_the_server_program", () => {
  const cmd: ServerCommand = { source: "bundled", command: "python3", args: ["/e x/entry.py", "serve"], env: {} };
  assert.equal(wrapperCommandLine(cmd, "aws s3 ls"), "python3 '/e x/entry.py' run -- aws s3 ls");
  assert.equal(wrapperCommandLine(undefined, "make deploy"), "accessdenied run -- make deploy");
  const tcp: ServerCommand = { source: "server.path", command: "ad", args: ["serve", "--tcp", "x"], env: {} };
  assert.equal(wrapperCommandLine(tcp, "ls"), "accessdenied run -- ls");
});

test("shellQuote_quotes_only_when_needed", () => {
  assert.equal(shellQuote("/usr/bin/python3"), "/usr/bin/python3");
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});
