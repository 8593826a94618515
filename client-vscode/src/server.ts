// Finds the command that starts `accessdenied serve`. Pure: every effect (probing interpreters,
// asking the Python extension, checking for the bundled copy) comes in through `Probe`.
import * as path from "node:path";

import type { Settings } from "./settings";

export type ServerSource = "server.path" | "server.interpreter" | "python-extension" | "bundled";

export interface ServerCommand {
  source: ServerSource;
  command: string;
  args: string[];
  /** Extra environment for the server process. */
  env: Record<string, string>;
}

export interface Probe {
  /** Major/minor of a Python interpreter, or undefined when it does not run. */
  pythonVersion(argv: string[]): Promise<[number, number] | undefined>;
  /** The Python extension's active interpreter for the workspace, if that extension is there. */
  pythonExtensionInterpreter(): Promise<string[] | undefined>;
  /** Whether the bundled copy (bundled/entry.py + bundled/libs) exists. */
  hasBundled(): boolean;
  /** Candidate interpreters on PATH, first match wins. */
  pathCandidates: string[];
}

export const MIN_PYTHON: [number, number] = [3, 11];

export const NOT_FOUND_MESSAGE =
  "AccessDenied: could not find a way to start the language server. " +
  'Set "accessdenied.server.path" to the server command (for example ["accessdenied", "serve"]) ' +
  'or "accessdenied.server.interpreter" to a Python 3.11+ interpreter (for example ["/usr/bin/python3"]).';

export function startFailedMessage(cmd: ServerCommand, reason: string): string {
  return (
    `AccessDenied: the language server (${[cmd.command, ...cmd.args].join(" ")}, from ${cmd.source}) ` +
    `did not start: ${reason}. Check "accessdenied.server.path" and "accessdenied.server.interpreter".`
  );
}

export function isSupported(v: [number, number] | undefined): boolean {
  return v !== undefined && (v[0] > MIN_PYTHON[0] || (v[0] === MIN_PYTHON[0] && v[1] >= MIN_PYTHON[1]));
}

/** Paths of the bundled server inside the installed extension. */
export function bundledPaths(extensionRoot: string) {
  const dir = path.join(extensionRoot, "bundled");
  return { dir, entry: path.join(dir, "entry.py"), libs: path.join(dir, "libs") };
}

/**
 * Runs `accessdenied serve` with an interpreter: through bundled/entry.py when the extension
 * carries the bundled copy (entry.py uses the interpreter's own `accessdenied` if it has one and
 * falls back to bundled/libs), else as `-m accessdenied serve`.
 */
function pythonServe(
  source: ServerSource,
  interpreter: string[],
  extensionRoot: string,
  bundled: boolean,
): ServerCommand {
  const [command, ...pre] = interpreter;
  const env = { PYTHONUNBUFFERED: "1" };
  if (bundled) {
    return { source, command, args: [...pre, bundledPaths(extensionRoot).entry, "serve"], env };
  }
  return { source, command, args: [...pre, "-m", "accessdenied", "serve"], env };
}

/**
 * The order: `accessdenied.server.path` (a command, used as is), `accessdenied.server.interpreter`,
 * the Python extension's active environment (if 3.11+), the bundled copy under the first Python
 * 3.11+ on PATH. Returns an error message naming both settings when nothing fits.
 */
export async function resolveServerCommand(
  settings: Settings,
  extensionRoot: string,
  probe: Probe,
): Promise<ServerCommand | { error: string }> {
  if (settings.server.path.length > 0) {
    const [command, ...args] = settings.server.path;
    return { source: "server.path", command, args, env: { PYTHONUNBUFFERED: "1" } };
  }
  const bundled = probe.hasBundled();
  if (settings.server.interpreter.length > 0) {
    const v = await probe.pythonVersion(settings.server.interpreter);
    if (!isSupported(v)) {
      const got = v ? `Python ${v[0]}.${v[1]}` : "it does not run";
      return {
        error:
          `AccessDenied: "accessdenied.server.interpreter" (${settings.server.interpreter.join(" ")}) ` +
          `needs Python 3.11 or newer (${got}). Fix it, or set "accessdenied.server.path" instead.`,
      };
    }
    return pythonServe("server.interpreter", settings.server.interpreter, extensionRoot, bundled);
  }
  const fromExtension = await probe.pythonExtensionInterpreter();
  if (fromExtension && fromExtension.length > 0 && isSupported(await probe.pythonVersion(fromExtension))) {
    return pythonServe("python-extension", fromExtension, extensionRoot, bundled);
  }
  if (bundled) {
    for (const candidate of probe.pathCandidates) {
      if (isSupported(await probe.pythonVersion([candidate]))) {
        return pythonServe("bundled", [candidate], extensionRoot, true);
      }
    }
  }
  return { error: NOT_FOUND_MESSAGE };
}

/**
 * The `accessdenied run -- CMD` wrapper, spelled with the same program the server runs with, so
 * that it works wherever the server does (a bundled copy, a venv, a command on PATH).
 */
export function wrapperCommandLine(server: ServerCommand | undefined, userCommand: string): string {
  let prefix: string[] = ["accessdenied"];
  if (server) {
    const args = [...server.args];
    if (args[args.length - 1] === "serve") {
      args.pop();
      prefix = [server.command, ...args];
    }
  }
  return [...prefix.map(shellQuote), "run", "--", userCommand].join(" ");
}

export function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
