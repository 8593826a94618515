import assert from "node:assert/strict";
import { test } from "node:test";

import { forwardExecution, stripAnsi, TerminalIds, type TerminalOutputParams } from "../src/terminal";

async function* chunks(...parts: string[]) {
  for (const p of parts) yield p;
}

test("stripAnsi_removes_colours_and_shell_integration_marks", () => {
  const raw = "\x1b]633;C\x07\x1b[31mupload failed\x1b[0m: An error occurred (AccessDenied)\x1b]633;D;1\x07\r\n";
  assert.equal(stripAnsi(raw), "upload failed: An error occurred (AccessDenied)\r\n");
});

test("forwardExecution_sends_every_chunk_with_terminal_and_command", async () => {
  const sent: TerminalOutputParams[] = [];
  const n = await forwardExecution(
    chunks("An error occurred (AccessDenied) when calling ", "\x1b[0m", "the PutObject operation\n"),
    "bash",
    "aws s3 cp a s3://b/a",
    (p) => {
      sent.push(p);
    },
    () => true,
  );
  assert.equal(n, 2);
  assert.deepEqual(
    sent.map((p) => p.data),
    ["An error occurred (AccessDenied) when calling ", "the PutObject operation\n"],
  );
  assert.ok(sent.every((p) => p.terminal === "bash" && p.command === "aws s3 cp a s3://b/a"));
});

test("forwardExecution_honours_the_off_switch_mid_stream", async () => {
  let on = true;
  const sent: string[] = [];
  await forwardExecution(chunks("one\n", "two\n", "three\n"), "t", "c", (p) => {
    sent.push(p.data);
    on = false;
  }, () => on);
  assert.deepEqual(sent, ["one\n"]);
});

test("TerminalIds_are_stable_and_unique", () => {
  const ids = new TerminalIds<object>();
  const a = {};
  const b = {};
  assert.equal(ids.idFor(a, "bash"), "bash");
  assert.equal(ids.idFor(b, "bash"), "bash (2)");
  assert.equal(ids.idFor(a, "bash"), "bash");
});

test("TerminalIds_known_never_allocates", () => {
  const ids = new TerminalIds<object>();
  const a = {};
  assert.equal(ids.known(a), undefined);
  assert.equal(ids.idFor({}, "bash"), "bash");
  assert.equal(ids.idFor(a, "bash"), "bash (2)");
  assert.equal(ids.known(a), "bash (2)");
});
