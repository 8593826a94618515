import assert from "node:assert/strict";
import { test } from "node:test";

import { countDenials, isDenial, statusText } from "../src/status";

test("isDenial_only_for_accessdenied_denials", () => {
  assert.ok(isDenial({ source: "accessdenied", code: "access-denied", message: "x" }));
  assert.ok(isDenial({ source: "accessdenied", code: { value: "explicit-deny" }, message: "x" }));
  assert.ok(isDenial({ source: "accessdenied", message: "User: a is not authorized to perform: s3:GetObject" }));
  assert.ok(!isDenial({ source: "accessdenied", code: "action-no-colon", message: "Action needs a colon" }));
  assert.ok(!isDenial({ source: "eslint", code: "access-denied", message: "x" }));
  assert.ok(!isDenial({ source: "accessdenied", code: "denied-request", message: "app-role was denied s3:PutObject" }));
});

test("countDenials_across_documents", () => {
  const n = countDenials([
    ["file:///w/logs/terminal.log", [
      { source: "accessdenied", code: "access-denied", message: "a" },
      { source: "accessdenied", code: "access-denied", message: "b" },
    ]],
    ["file:///w/policies/p.json", [{ source: "accessdenied", code: "unknown-action", message: "c" }]],
  ]);
  assert.equal(n, 2);
});

test("countDenials_skips_denials_already_fixed", () => {
  const n = countDenials([
    ["file:///w/logs/terminal.log", [
      { source: "accessdenied", code: "access-denied", message: "a", severity: 0 },
      { source: "accessdenied", code: "explicit-deny", message: "b", severity: 1 },
      { source: "accessdenied", code: "access-denied", message: "c (now allowed)", severity: 2 },
    ]],
  ]);
  assert.equal(n, 2);
});

test("statusText_pluralises", () => {
  assert.match(statusText(0).text, /AccessDenied/);
  assert.match(statusText(1).text, /1 denial$/);
  assert.match(statusText(3).text, /3 denials$/);
});
