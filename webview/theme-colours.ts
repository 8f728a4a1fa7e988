// Canvas and exported figures cannot use CSS variables, so they read the theme's values here. VS Code sets
// the `--vscode-*` variables on <html> and the theme kind as a class on <body>; both change on a theme switch.

export interface ThemeColours {
  readonly foreground: string;
  readonly muted: string;
  readonly background: string;
  readonly border: string;
  readonly focus: string;
  /** Outline for emphasis that must survive high-contrast themes. */
  readonly contrastBorder: string | null;
  readonly highlight: string;
  readonly fontFamily: string;
  readonly monoFamily: string;
  readonly fontSize: number;
  readonly monoSize: number;
}

function variable(name: string, fallback: string): string {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

export function readTheme(): ThemeColours {
  const contrast = variable('--vscode-contrastBorder', '');
  return {
    foreground: variable('--vscode-foreground', '#cccccc'),
    muted: variable('--vscode-descriptionForeground', '#9d9d9d'),
    background: variable('--vscode-editor-background', '#1e1e1e'),
    border: variable('--vscode-panel-border', variable('--vscode-widget-border', '#444444')),
    focus: variable('--vscode-focusBorder', '#0078d4'),
    contrastBorder: contrast || null,
    highlight: variable('--vscode-editorCursor-foreground', '#aeafad'),
    fontFamily: variable('--vscode-font-family', 'system-ui, sans-serif'),
    monoFamily: variable('--vscode-editor-font-family', 'monospace'),
    fontSize: parseFloat(variable('--vscode-font-size', '13')) || 13,
    monoSize: parseFloat(variable('--vscode-editor-font-size', '13')) || 13,
  };
}

/** Call `onChange` after every theme switch; returns the function that stops watching. */
export function watchTheme(onChange: () => void): () => void {
  const observer = new MutationObserver(() => onChange());
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind'] });
  return () => observer.disconnect();
}
