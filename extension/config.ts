// Typed getters over the `glassbox.*` settings: the one place their names and defaults are spelled.

import * as vscode from 'vscode';
import type { DeviceSetting } from '../protocol/model-messages';
import { parseCompletionSettings, type CompletionSettings } from './completion-settings';
import { userText, workspaceChoiceOf } from './machine-settings';
import { DEMO_MODEL_SETTING } from './model-source';
import type { ProxySources } from './proxy-settings';

export const DEFAULT_MODEL = 'openai-community/gpt2';

function section(): vscode.WorkspaceConfiguration {
  return vscode.workspace.getConfiguration('glassbox');
}

export const config = {
  /** The user's value only: a workspace must not choose the folder or repo (see machine-settings.ts). */
  model: (): string => {
    const inspected = section().inspect('model');
    return userText(inspected) ?? workspaceChoiceOf(inspected, DEMO_MODEL_SETTING) ?? DEFAULT_MODEL;
  },
  device: (): DeviceSetting => {
    const value = section().get<string>('device', 'auto');
    return value === 'cpu' || value === 'webgpu' ? value : 'auto';
  },
  /** Hub endpoint override, for mirrors and for tests on 127.0.0.1; the user's value only, as for the model. */
  hubEndpoint: (): string | undefined => userText(section().inspect('hubEndpoint')),
  /** VS Code's own proxy settings and the environment, from which Hub downloads take their proxy. */
  proxySources: (): ProxySources => {
    const http = vscode.workspace.getConfiguration('http');
    return {
      proxy: http.get<string>('proxy') || undefined,
      strictSSL: http.get<boolean>('proxyStrictSSL', true),
      authorization: http.get<string | null>('proxyAuthorization') || undefined,
      support: http.get<string>('proxySupport', 'override'),
      noProxy: http.get<string[]>('noProxy', []),
      env: process.env,
    };
  },
  /** Hovers inspect the hovered line even where nothing was inspected. */
  hoverEnabled: (): boolean => section().get<boolean>('hover.enabled', false),
  setModel: (value: string): Thenable<void> => section().update('model', value, vscode.ConfigurationTarget.Global),
  affectsModel: (event: vscode.ConfigurationChangeEvent): boolean =>
    ['model', 'device', 'hubEndpoint'].some((key) => event.affectsConfiguration(`glassbox.${key}`)) ||
    ['proxy', 'proxyStrictSSL', 'proxyAuthorization', 'proxySupport', 'noProxy'].some((key) => event.affectsConfiguration(`http.${key}`)),
  /** Every `glassbox.completions.*` setting, checked and clamped (see completion-settings.ts). */
  completions: (): CompletionSettings => parseCompletionSettings((key) => section().get(`completions.${key}`)),
  /** Where the user set it: a workspace value would hide a change to the user settings. */
  setCompletionsEnabled: (value: boolean): Thenable<void> => {
    const workspace = section().inspect<boolean>('completions.enabled')?.workspaceValue !== undefined;
    return section().update('completions.enabled', value, workspace ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
  },
  affectsCompletions: (event: vscode.ConfigurationChangeEvent): boolean => event.affectsConfiguration('glassbox.completions'),
};
