// The status bar count: how many AWS access denials the server currently reports.

export interface DiagnosticLike {
  /** VS Code's numbering: 0 error, 1 warning, 2 information, 3 hint. */
  severity?: number;
  source?: string;
  code?: string | number | { value: string | number };
  message: string;
}

function codeOf(d: DiagnosticLike): string {
  const c = d.code;
  if (c === undefined) return "";
  return String(typeof c === "object" ? c.value : c);
}

/** The server's codes for a denied request in a log or terminal ("denied-request" is its echo
 * on the policy file, not a second denial). */
export const DENIAL_CODES = new Set(["access-denied", "explicit-deny"]);

/** A denial diagnostic, as opposed to a policy finding or the echo on a policy file. */
export function isDenial(d: DiagnosticLike): boolean {
  if (d.source !== "accessdenied") return false;
  const code = codeOf(d);
  if (code) return DENIAL_CODES.has(code);
  return /not authorized|access ?denied/i.test(d.message);
}

/**
 * Counts the open denials across all documents: errors and warnings. A denial the workspace's
 * policies now allow (after a fix) stays in the log as information and is not counted.
 */
export function countDenials(all: [string, DiagnosticLike[]][]): number {
  let n = 0;
  for (const [, diags] of all) {
    for (const d of diags) if (isDenial(d) && (d.severity ?? 0) <= 1) n += 1;
  }
  return n;
}

export function statusText(count: number): { text: string; tooltip: string } {
  if (count === 0) {
    return { text: "$(shield) AccessDenied", tooltip: "AccessDenied: no open AWS access denials" };
  }
  const noun = count === 1 ? "denial" : "denials";
  return {
    text: `$(shield) ${count} ${noun}`,
    tooltip: `AccessDenied: ${count} open AWS access ${noun} (click for the Problems panel)`,
  };
}
