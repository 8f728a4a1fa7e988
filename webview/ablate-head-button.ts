// The "Ablate head" button the Attention tab and the Heads tab's head card both show: the same message (a
// toggle of `attn.hook_z` for that head), the same words for what it will do.

import '@vscode-elements/elements/dist/vscode-button/index.js';
import { formatAblation, sameAblation } from '../protocol/interventions';
import { el } from './element-builder';
import type { PanelContext } from './panel-context';

export interface AblateHeadButton {
  readonly element: HTMLElement;
  /** Show the button for this head (hidden for none: a layer's mean is not a unit), saying whether it is ablated. */
  show(head: { readonly layer: number; readonly head: number } | null): void;
}

export function createAblateHeadButton(ctx: PanelContext, className: string): AblateHeadButton {
  const element = el('vscode-button', { class: className, attrs: { secondary: true } });
  let unit: { readonly hook: 'attn.hook_z'; readonly layer: number; readonly unit: number } | null = null;
  // What the head does to the prediction shows when it is gone: every tab then shows the model without it.
  element.addEventListener('click', () => {
    if (unit) ctx.toggleAblation(unit);
  });
  return {
    element,
    show(head) {
      element.hidden = head === null;
      unit = head && { hook: 'attn.hook_z', layer: head.layer, unit: head.head };
      if (!unit) return;
      const on = ctx.ablation().ablations.some((a) => unit !== null && sameAblation(a, unit));
      element.textContent = on ? 'Restore head' : 'Ablate head';
      element.title = on ? `Put ${formatAblation(unit)} back` : `Run the model without ${formatAblation(unit)} (every tab shows the change)`;
    },
  };
}
