// The `accessdenied.*` settings tree: read from VS Code, normalised, and handed to the server
// unchanged in shape (the server reads the same tree through workspace/configuration).

export interface Settings {
  server: { path: string[]; interpreter: string[]; logLevel: string };
  logs: { include: string[]; exclude: string[]; pollInterval: number };
  policy: { denialDiagnostics: boolean; debounce: number };
  terminal: { enabled: boolean; forward: boolean };
  aws: { liveMode: boolean; profile: string; region: string };
  trace: { server: "off" | "messages" | "verbose" };
}

export const DEFAULTS: Settings = {
  server: { path: [], interpreter: [], logLevel: "info" },
  // The server's defaults (server/accessdenied/lsp/settings.py): VS Code sends these when unset.
  logs: {
    include: [
      "**/*.log",
      "**/*.out",
      "**/logs/**/*.txt",
      "logs/**/*.txt",
      "**/cloudtrail/**/*.json",
      "**/CloudTrail/**/*.json",
      ".accessdenied/terminal.log",
    ],
    exclude: ["**/node_modules/**", "**/.git/**", "**/.venv/**", "**/__pycache__/**"],
    pollInterval: 0.5,
  },
  policy: { denialDiagnostics: true, debounce: 0.3 },
  terminal: { enabled: true, forward: true },
  aws: { liveMode: false, profile: "", region: "" },
  trace: { server: "off" },
};

/** Reads one key under `accessdenied`; what WorkspaceConfiguration.get offers. */
export type ConfigGetter = (key: string) => unknown;

function stringList(value: unknown, fallback: string[]): string[] {
  // A plain string is accepted too ("accessdenied serve" or "/usr/bin/python3"): users type it.
  if (typeof value === "string") {
    return value.trim() ? splitCommandLine(value.trim()) : fallback;
  }
  if (Array.isArray(value)) {
    return value.filter((v): v is string => typeof v === "string" && v.length > 0);
  }
  return fallback;
}

function bool(value: unknown, fallback: boolean): boolean {
  return typeof value === "boolean" ? value : fallback;
}

function num(value: unknown, fallback: number): number {
  return typeof value === "number" && Number.isFinite(value) ? value : fallback;
}

function str(value: unknown, fallback: string): string {
  return typeof value === "string" ? value : fallback;
}

/** Splits a command line on whitespace, honouring simple single and double quotes. */
export function splitCommandLine(line: string): string[] {
  const out: string[] = [];
  const re = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(line)) !== null) {
    out.push(m[1] ?? m[2] ?? m[3]);
  }
  return out;
}

export function readSettings(get: ConfigGetter): Settings {
  const trace = get("trace.server");
  return {
    server: {
      path: stringList(get("server.path"), []),
      interpreter: stringList(get("server.interpreter"), []),
      logLevel: str(get("server.logLevel"), "info"),
    },
    logs: {
      include: stringList(get("logs.include"), DEFAULTS.logs.include),
      exclude: stringList(get("logs.exclude"), DEFAULTS.logs.exclude),
      pollInterval: num(get("logs.pollInterval"), 0.5),
    },
    policy: {
      denialDiagnostics: bool(get("policy.denialDiagnostics"), true),
      debounce: num(get("policy.debounce"), 0.3),
    },
    terminal: {
      enabled: bool(get("terminal.enabled"), true),
      forward: bool(get("terminal.forward"), true),
    },
    aws: {
      liveMode: bool(get("aws.liveMode"), false),
      profile: str(get("aws.profile"), ""),
      region: str(get("aws.region"), ""),
    },
    trace: {
      server: trace === "messages" || trace === "verbose" ? trace : "off",
    },
  };
}

/** Settings that need a new server process when they change (the rest the server re-reads). */
export const RESTART_KEYS = ["accessdenied.server.path", "accessdenied.server.interpreter"];
