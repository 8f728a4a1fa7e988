// `glassbox.model` names a folder whose files the model process reads, and `glassbox.hubEndpoint` the server
// it downloads models from. A workspace must not set them: a cloned repository's .vscode/settings.json would
// point Glassbox at a folder or a server of the repository's choosing. package.json gives both the `machine`
// scope (user or remote settings only), and they are read from the user's value alone, so a workspace value
// is ignored even by an editor that would apply it. Kept free of vscode so the rule is unit-tested.

/** What `WorkspaceConfiguration.inspect` returns for a setting, as much of it as matters here. */
export interface InspectedSetting {
  readonly defaultValue?: unknown;
  /** User settings; in a remote window, the remote machine's for a machine-scoped setting. */
  readonly globalValue?: unknown;
  readonly workspaceValue?: unknown;
  readonly workspaceFolderValue?: unknown;
}

/** The user's own text for a machine-scoped setting, trimmed; undefined when unset, blank or not text. */
export function userText(inspected: InspectedSetting | undefined): string | undefined {
  const value = inspected?.globalValue;
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/**
 * The one `glassbox.model` value a workspace may set: `safeValue`, the demo model inside the extension itself,
 * which points at nothing a repository could choose. `npm start` in desktop VS Code selects it through the
 * sample folder's settings, since the person's own user settings are not its to change.
 */
export function workspaceChoiceOf(inspected: InspectedSetting | undefined, safeValue: string): string | undefined {
  const value = inspected?.workspaceFolderValue ?? inspected?.workspaceValue;
  return typeof value === 'string' && value.trim() === safeValue ? safeValue : undefined;
}
