// The only module that imports `vscode` besides extension.ts: a thin seam so that the client
// logic (settings, server.ts, terminal.ts, status.ts) stays testable under plain Node.
import * as vscode from "vscode";

export type Disposable = vscode.Disposable;
export type Uri = vscode.Uri;

export function getConfiguration(section?: string, scope?: vscode.ConfigurationScope) {
  return vscode.workspace.getConfiguration(section, scope);
}

export function onDidChangeConfiguration(
  handler: (e: vscode.ConfigurationChangeEvent) => unknown,
): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration(handler);
}

export function createLogOutputChannel(name: string): vscode.LogOutputChannel {
  return vscode.window.createOutputChannel(name, { log: true });
}

export function registerCommand(
  id: string,
  fn: (...args: unknown[]) => unknown,
): vscode.Disposable {
  return vscode.commands.registerCommand(id, fn);
}

export function executeCommand<T>(id: string, ...args: unknown[]): Thenable<T> {
  return vscode.commands.executeCommand<T>(id, ...args);
}

export function showErrorMessage(message: string, ...items: string[]) {
  return vscode.window.showErrorMessage(message, ...items);
}

export function showInformationMessage(message: string, ...items: string[]) {
  return vscode.window.showInformationMessage(message, ...items);
}

export function showInputBox(options: vscode.InputBoxOptions) {
  return vscode.window.showInputBox(options);
}

export function readClipboard(): Thenable<string> {
  return vscode.env.clipboard.readText();
}

export function activeTextEditor(): vscode.TextEditor | undefined {
  return vscode.window.activeTextEditor;
}

export function openTextDocument(options: { language?: string; content?: string }) {
  return vscode.workspace.openTextDocument(options);
}

export function showTextDocument(doc: vscode.TextDocument, preview = false) {
  return vscode.window.showTextDocument(doc, { preview });
}

export function workspaceFolders(): readonly vscode.WorkspaceFolder[] {
  return vscode.workspace.workspaceFolders ?? [];
}

export function getExtension<T>(id: string): vscode.Extension<T> | undefined {
  return vscode.extensions.getExtension<T>(id);
}

export function getDiagnostics(): [vscode.Uri, vscode.Diagnostic[]][] {
  return vscode.languages.getDiagnostics();
}

export function onDidChangeDiagnostics(handler: () => unknown): vscode.Disposable {
  return vscode.languages.onDidChangeDiagnostics(handler);
}

export function createStatusBarItem(): vscode.StatusBarItem {
  return vscode.window.createStatusBarItem("accessdenied.denials", vscode.StatusBarAlignment.Left, 50);
}

export function onDidStartTerminalShellExecution(
  handler: (e: vscode.TerminalShellExecutionStartEvent) => unknown,
): vscode.Disposable | undefined {
  // Stable since VS Code 1.93; guarded so an older host only loses terminal capture.
  const w = vscode.window as Partial<typeof vscode.window>;
  return w.onDidStartTerminalShellExecution?.(handler);
}

export function onDidChangeTerminalShellIntegration(
  handler: (e: vscode.TerminalShellIntegrationChangeEvent) => unknown,
): vscode.Disposable | undefined {
  const w = vscode.window as Partial<typeof vscode.window>;
  return w.onDidChangeTerminalShellIntegration?.(handler);
}

export function onDidOpenTerminal(handler: (t: vscode.Terminal) => unknown): vscode.Disposable {
  return vscode.window.onDidOpenTerminal(handler);
}

export function onDidCloseTerminal(handler: (t: vscode.Terminal) => unknown): vscode.Disposable {
  return vscode.window.onDidCloseTerminal(handler);
}

export function activeTerminal(): vscode.Terminal | undefined {
  return vscode.window.activeTerminal;
}

export function createTerminal(name: string): vscode.Terminal {
  return vscode.window.createTerminal(name);
}

export function selectionAt(line: number, character: number): vscode.Selection {
  return new vscode.Selection(line, character, line, character);
}
