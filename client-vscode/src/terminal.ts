// Terminal capture: turns what VS Code's shell integration streams for each command into
// `accessDenied/terminalOutput` notifications. The server reassembles lines across chunks.

export const TERMINAL_OUTPUT = "accessDenied/terminalOutput";
/** Sent when a forwarded terminal closes: the server forgets its buffer and diagnostics. */
export const TERMINAL_CLOSED = "accessDenied/terminalClosed";

export interface TerminalOutputParams {
  /** Stable id of the terminal for this window session (name plus a counter). */
  terminal: string;
  /** The command line that produced the output, when the shell reported it. */
  command: string;
  data: string;
}

// CSI (colours, cursor moves), OSC (titles, VS Code's own 633 shell-integration marks, ended by
// BEL or ST), and single-character escapes. Denial messages never contain any of them.
// eslint-disable-next-line no-control-regex
const ANSI = /\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]/g;

export function stripAnsi(s: string): string {
  return s.replace(ANSI, "");
}

/** Names terminals uniquely: two "bash" terminals become "bash" and "bash (2)". */
export class TerminalIds<T extends object> {
  private readonly ids = new WeakMap<T, string>();
  private readonly used = new Map<string, number>();

  /** The id already given to `terminal`, if any (never allocates one). */
  known(terminal: T): string | undefined {
    return this.ids.get(terminal);
  }

  idFor(terminal: T, name: string): string {
    const known = this.ids.get(terminal);
    if (known) return known;
    const n = (this.used.get(name) ?? 0) + 1;
    this.used.set(name, n);
    const id = n === 1 ? name : `${name} (${n})`;
    this.ids.set(terminal, id);
    return id;
  }
}

/**
 * Reads one command's output stream and forwards it chunk by chunk (escape sequences removed,
 * empty chunks dropped). Returns the number of notifications sent. `enabled` is checked per
 * chunk so that switching forwarding off takes effect at once.
 */
export async function forwardExecution(
  stream: AsyncIterable<string>,
  terminal: string,
  command: string,
  send: (params: TerminalOutputParams) => void | Promise<void>,
  enabled: () => boolean,
): Promise<number> {
  let sent = 0;
  for await (const chunk of stream) {
    if (!enabled()) continue;
    const data = stripAnsi(chunk);
    if (data.length === 0) continue;
    await send({ terminal, command, data });
    sent += 1;
  }
  return sent;
}
