import assert from "node:assert/strict";
import { test } from "node:test";

import { DEFAULTS, readSettings, splitCommandLine } from "../src/settings";

const from = (values: Record<string, unknown>) => (key: string) => values[key];

test("readSettings_defaults_when_nothing_set", () => {
  assert.deepEqual(readSettings(from({})), DEFAULTS);
});

test("readSettings_accepts_a_command_line_string_for_server_path", () => {
  const s = readSettings(from({ "server.path": '/opt/ad/bin/accessdenied serve --tcp "127.0.0.1:9"' }));
  assert.deepEqual(s.server.path, ["/opt/ad/bin/accessdenied", "serve", "--tcp", "127.0.0.1:9"]);
});

test("readSettings_drops_non_strings_and_bad_values", () => {
  const s = readSettings(
    from({
      "server.interpreter": ["/usr/bin/python3", 3, ""],
      "terminal.forward": "yes",
      "trace.server": "loud",
      "aws.liveMode": true,
      "aws.region": "eu-west-1",
      "logs.include": ["**/*.log"],
      "policy.debounce": "soon",
    }),
  );
  assert.deepEqual(s.server.interpreter, ["/usr/bin/python3"]);
  assert.equal(s.terminal.forward, true);
  assert.equal(s.trace.server, "off");
  assert.equal(s.aws.liveMode, true);
  assert.equal(s.aws.region, "eu-west-1");
  assert.deepEqual(s.logs.include, ["**/*.log"]);
  assert.equal(s.policy.debounce, 0.3);
});

test("splitCommandLine_honours_quotes", () => {
  assert.deepEqual(splitCommandLine(`a 'b c' "d e" f`), ["a", "b c", "d e", "f"]);
});
