// Activation: wires settings, the language client, commands, terminal capture and the status bar.
import { execFile } from "node:child_process";
import * as fs from "node:fs";

import type * as vscode from "vscode";
import {
  LanguageClient,
  type LanguageClientOptions,
  type ServerOptions,
  State,
  Trace,
} from "vscode-languageclient/node";

import {
  bundledPaths,
  type Probe,
  resolveServerCommand,
  type ServerCommand,
  startFailedMessage,
  wrapperCommandLine,
} from "./server";
import { RESTART_KEYS, readSettings, type Settings } from "./settings";
import { countDenials, statusText } from "./status";
import { forwardExecution, TERMINAL_CLOSED, TERMINAL_OUTPUT, TerminalIds } from "./terminal";
import * as api from "./vscodeapi";

/** Documents the server handles: policies (JSON, YAML, Terraform) and logs. */
export const DOCUMENT_SELECTOR = [
  { scheme: "file", language: "json" },
  { scheme: "file", language: "jsonc" },
  { scheme: "file", language: "yaml" },
  { scheme: "file", language: "terraform" },
  { scheme: "file", language: "log" },
  { scheme: "untitled", language: "log" },
  { scheme: "file", language: "plaintext", pattern: "**/*.{log,out}" },
  { scheme: "file", language: "plaintext", pattern: "**/logs/**/*.txt" },
];

let client: LanguageClient | undefined;
let serverCommand: ServerCommand | undefined;
let log: vscode.LogOutputChannel;
let extensionRoot = "";

function settings(): Settings {
  const cfg = api.getConfiguration("accessdenied");
  return readSettings((key) => cfg.get(key));
}

function pythonVersion(argv: string[]): Promise<[number, number] | undefined> {
  const [cmd, ...pre] = argv;
  return new Promise((resolve) => {
    execFile(
      cmd,
      [...pre, "-c", "import sys; print(sys.version_info[0], sys.version_info[1])"],
      { timeout: 10000 },
      (err, stdout) => {
        if (err) return resolve(undefined);
        const m = /^(\d+) (\d+)/.exec(stdout.trim());
        resolve(m ? [Number(m[1]), Number(m[2])] : undefined);
      },
    );
  });
}

interface PythonExtensionApi {
  environments?: {
    getActiveEnvironmentPath(resource?: vscode.Uri): { path: string };
    resolveEnvironment(
      env: { path: string } | string,
    ): Promise<{ executable: { uri?: vscode.Uri } } | undefined>;
  };
}

async function pythonExtensionInterpreter(): Promise<string[] | undefined> {
  const ext = api.getExtension<PythonExtensionApi>("ms-python.python");
  if (!ext) return undefined;
  try {
    const pyApi = ext.isActive ? ext.exports : await ext.activate();
    const envs = pyApi?.environments;
    if (!envs) return undefined;
    const folder = api.workspaceFolders()[0]?.uri;
    const resolved = await envs.resolveEnvironment(envs.getActiveEnvironmentPath(folder));
    const exe = resolved?.executable.uri?.fsPath;
    return exe ? [exe] : undefined;
  } catch (e) {
    log.warn(`Python extension did not give an interpreter: ${String(e)}`);
    return undefined;
  }
}

function probe(): Probe {
  const b = bundledPaths(extensionRoot);
  return {
    pythonVersion,
    pythonExtensionInterpreter,
    hasBundled: () => fs.existsSync(b.entry) && fs.existsSync(b.libs),
    pathCandidates: ["python3", "python3.14", "python3.13", "python3.12", "python3.11", "python"],
  };
}

async function startClient(): Promise<void> {
  const s = settings();
  const resolved = await resolveServerCommand(s, extensionRoot, probe());
  if ("error" in resolved) {
    log.error(resolved.error);
    void api.showErrorMessage(resolved.error, "Open Settings").then((pick) => {
      if (pick) void api.executeCommand("workbench.action.openSettings", "accessdenied.server");
    });
    return;
  }
  serverCommand = resolved;
  log.info(`Starting server (${resolved.source}): ${[resolved.command, ...resolved.args].join(" ")}`);
  const cwd = api.workspaceFolders()[0]?.uri.fsPath;
  const serverOptions: ServerOptions = {
    command: resolved.command,
    args: resolved.args,
    // No `transport`: with TransportKind.stdio the client appends `--stdio` to the arguments.
    options: { cwd, env: { ...process.env, ...resolved.env } },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: DOCUMENT_SELECTOR,
    outputChannel: log,
    traceOutputChannel: log,
    initializationOptions: { accessdenied: s },
    synchronize: { configurationSection: "accessdenied" },
    diagnosticCollectionName: "accessdenied",
  };
  const c = new LanguageClient("accessdenied", "AccessDenied", serverOptions, clientOptions);
  client = c;
  try {
    await c.start();
    await c.setTrace(Trace.fromString(s.trace.server));
    log.info("Server started");
  } catch (e) {
    const msg = startFailedMessage(resolved, e instanceof Error ? e.message : String(e));
    log.error(msg);
    void api.showErrorMessage(msg);
  }
}

async function stopClient(): Promise<void> {
  const c = client;
  client = undefined;
  if (!c) return;
  try {
    if (c.state !== State.Stopped) await c.stop(5000);
  } catch (e) {
    log.warn(`Stopping the server: ${String(e)}`);
  }
  await c.dispose().catch(() => undefined);
}

async function restartServer(): Promise<void> {
  await stopClient();
  await startClient();
}

async function scanClipboard(): Promise<void> {
  const text = await api.readClipboard();
  if (!text.trim()) {
    void api.showInformationMessage("AccessDenied: the clipboard is empty. Copy an AWS error first.");
    return;
  }
  // A `log` document: the server scans any document with that language id for denials.
  const doc = await api.openTextDocument({ language: "log", content: text });
  await api.showTextDocument(doc);
}

const ARN = /arn:aws[\w-]*:[^\s"'`,;)\]}]+/g;

function arnAt(line: string, character: number): string | undefined {
  for (const m of line.matchAll(ARN)) {
    const start = m.index ?? 0;
    if (character >= start && character <= start + m[0].length) return m[0];
  }
  return undefined;
}

async function showEffectivePermissions(): Promise<void> {
  const editor = api.activeTextEditor();
  if (editor) {
    const pos = editor.selection.active;
    if (arnAt(editor.document.lineAt(pos.line).text, pos.character)) {
      // The server's hover on a principal ARN is the effective-permissions summary.
      await api.executeCommand("editor.action.showHover");
      return;
    }
  }
  const arn = await api.showInputBox({
    prompt: "Principal ARN (role, user or assumed-role session)",
    placeHolder: "arn:aws:iam::111122223333:role/app-role",
    validateInput: (v) => (/^arn:aws[\w-]*:(iam|sts)::/.test(v.trim()) ? undefined : "an IAM or STS ARN"),
  });
  if (!arn) return;
  const doc = await api.openTextDocument({ language: "log", content: `${arn.trim()}\n` });
  const shown = await api.showTextDocument(doc);
  shown.selection = api.selectionAt(0, 1);
  await api.executeCommand("editor.action.showHover");
}

async function runInTerminal(): Promise<void> {
  const cmd = await api.showInputBox({
    prompt: "Command to run; its output is teed to .accessdenied/terminal.log for AccessDenied",
    placeHolder: "aws s3 cp report.csv s3://bucket/",
  });
  if (!cmd) return;
  const terminal = api.activeTerminal() ?? api.createTerminal("AccessDenied");
  terminal.show();
  terminal.sendText(wrapperCommandLine(serverCommand, cmd));
}

function setUpTerminalCapture(ctx: vscode.ExtensionContext): void {
  const ids = new TerminalIds<vscode.Terminal>();
  const forwarding = () => {
    const s = settings();
    return s.terminal.forward && s.terminal.enabled;
  };
  const sub = api.onDidStartTerminalShellExecution((e) => {
    const terminal = ids.idFor(e.terminal, e.terminal.name);
    const command = e.execution.commandLine.value;
    if (!forwarding()) {
      log.debug(`Terminal "${terminal}": forwarding is off (accessdenied.terminal.forward/enabled)`);
      return;
    }
    if (!client || client.state !== State.Running) {
      if (command) log.warn(`Terminal "${terminal}": server not running, output of "${command}" not forwarded`);
      return;
    }
    log.debug(`Terminal "${terminal}": forwarding the output of "${command}"`);
    const send = (params: object) => client?.sendNotification(TERMINAL_OUTPUT, params);
    forwardExecution(e.execution.read(), terminal, command, send, forwarding)
      // 0 chunks: VS Code streamed nothing (an instant command's output can arrive with the
      // shell's command-executed mark, before VS Code starts streaming).
      .then((n) => log.info(`Terminal "${terminal}": ${n} chunk(s) of "${command}" forwarded`))
      .catch((err) =>
      log.warn(`Terminal capture of "${terminal}" stopped: ${String(err)}`),
    );
  });
  if (sub) ctx.subscriptions.push(sub);
  // Without shell integration VS Code cannot read a terminal: offer the wrapper once per terminal.
  const integrated = new WeakSet<vscode.Terminal>();
  const sub2 = api.onDidChangeTerminalShellIntegration((e) => {
    if (!integrated.has(e.terminal)) {
      log.info(`Terminal "${ids.idFor(e.terminal, e.terminal.name)}": shell integration active, capture on`);
    }
    integrated.add(e.terminal);
  });
  if (sub2) ctx.subscriptions.push(sub2);
  // A closed terminal is forgotten by the server (its tail and diagnostics): bounded memory.
  ctx.subscriptions.push(
    api.onDidCloseTerminal((t) => {
      const terminal = ids.known(t);
      if (!terminal || !client || client.state !== State.Running) return;
      void client.sendNotification(TERMINAL_CLOSED, { terminal });
    }),
  );
  let offered = false;
  ctx.subscriptions.push(
    api.onDidOpenTerminal((t) => {
      if (!forwarding() || offered || !sub) return;
      setTimeout(() => {
        if (integrated.has(t) || t.shellIntegration || offered || t.exitStatus) return;
        offered = true;
        const example = wrapperCommandLine(serverCommand, "aws s3 ls");
        void api
          .showInformationMessage(
            `AccessDenied cannot read terminal "${t.name}" (no shell integration). ` +
              `Run AWS commands as \`${example}\` to see their denials as diagnostics.`,
            "Run a Command…",
          )
          .then((pick) => {
            if (pick) void runInTerminal();
          });
      }, 10000);
    }),
  );
}

function setUpStatusBar(ctx: vscode.ExtensionContext): void {
  const item = api.createStatusBarItem();
  item.name = "AccessDenied";
  item.command = "workbench.actions.view.problems";
  const update = () => {
    const all = api.getDiagnostics().map(([uri, d]) => [uri.toString(), d] as [string, typeof d]);
    const view = statusText(countDenials(all));
    item.text = view.text;
    item.tooltip = view.tooltip;
  };
  update();
  item.show();
  ctx.subscriptions.push(item, api.onDidChangeDiagnostics(update));
}

export async function activate(ctx: vscode.ExtensionContext): Promise<void> {
  extensionRoot = ctx.extensionPath;
  log = api.createLogOutputChannel("AccessDenied");
  ctx.subscriptions.push(
    log,
    api.registerCommand("accessdenied.restartServer", restartServer),
    api.registerCommand("accessdenied.scanClipboard", scanClipboard),
    api.registerCommand("accessdenied.showEffectivePermissions", showEffectivePermissions),
    api.registerCommand("accessdenied.runInTerminal", runInTerminal),
    api.onDidChangeConfiguration((e) => {
      if (RESTART_KEYS.some((k) => e.affectsConfiguration(k))) {
        log.info("Server settings changed: restarting the server");
        void restartServer();
      } else if (e.affectsConfiguration("accessdenied.trace.server") && client) {
        void client.setTrace(Trace.fromString(settings().trace.server));
      }
    }),
  );
  setUpStatusBar(ctx);
  setUpTerminalCapture(ctx);
  await startClient();
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
