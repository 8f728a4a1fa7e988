// The pages of our webviews (the Inspect panel, Compare Completions): our bundle and stylesheet only, under a
// strict Content-Security-Policy with a fresh nonce per page. Nothing is loaded from the network.

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

export function panelResourceRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'dist'), vscode.Uri.joinPath(extensionUri, 'media')];
}

/** A page of ours: the bundle in dist/ it runs, and its title. */
export interface PanelPage {
  readonly script: string;
  readonly title: string;
}

const INSPECT_PAGE: PanelPage = { script: 'webview.js', title: 'Glassbox' };

export function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, page: PanelPage = INSPECT_PAGE): string {
  const nonce = randomBytes(16).toString('base64');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', page.script));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css'));
  const csp = [
    "default-src 'none'",
    `img-src ${webview.cspSource} data: blob:`,
    // Lit components (vscode-elements) style themselves through constructable stylesheets, which CSP's
    // style-src governs only for <style>/<link>: ours is the one linked file.
    `style-src ${webview.cspSource}`,
    `font-src ${webview.cspSource}`,
    `script-src 'nonce-${nonce}'`,
  ].join('; ');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${style}">
<title>${page.title}</title>
</head>
<body>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
}
