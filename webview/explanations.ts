// The short "what am I looking at" text of each tab: enough for a student to read the view correctly,
// with the names a researcher would search for.

import '@vscode-elements/elements/dist/vscode-collapsible/index.js';
import type { PanelTab } from '../protocol/panel-messages';
import { el } from './element-builder';

const texts: Readonly<Record<PanelTab, readonly string[]>> = {
  tokens: [
    'GPT-2 does not read characters or words. Byte-pair encoding (BPE) splits the text into tokens from a ' +
      'vocabulary of 50,257, most of them carrying their leading space: here · is a space, ⏎ a newline and → a tab.',
    'At every position the model gives a probability to each possible next token. Each chip is coloured by the ' +
      'probability the model gave that token before seeing it; the first token has no colour because nothing ' +
      'came before it. Perplexity is exp of the mean negative log-probability: roughly how many tokens the model ' +
      'was choosing between, on average.',
    'Select a token to see what the model expected in its place, its id and bytes, and what a sampler with a ' +
      'given temperature, top-k and top-p would have done with that distribution.',
  ],
  lens: [
    'Each block of GPT-2 adds its output to the residual stream: one vector per position that, at the end, ' +
      'ln_final and the unembedding turn into next-token probabilities. The logit lens (nostalgebraist, 2020) ' +
      'applies that same last step to the residual stream at every hook point, as if the model stopped early.',
    'Rows are residual points, from the embeddings (blocks.0.hook_resid_pre) to the output of the last block, ' +
      'which is exactly the model’s prediction. Columns are positions; each cell shows the top guess for the ' +
      'token after that position. Early rows often echo the input token; later rows converge on the output.',
    'Colour by the top guess’s probability, by the entropy of the lens distribution, or by its KL divergence ' +
      'from the final output. Pick a target token to follow its probability and rank through the layers. A ' +
      'corner mark means the guess is the token that actually comes next.',
  ],
  attention: [
    'In every layer each head computes a pattern softmax(QKᵀ/√d_head): how much each query position (a row) ' +
      'reads from each key position (a column). The head then mixes the value vectors V with those weights. ' +
      'Every row sums to 1, and GPT-2 is causal: a token attends only to itself and earlier tokens, so the ' +
      'upper triangle is empty.',
    'The overview shows every head (blocks.{l}.attn.hook_pattern) and each layer’s mean over heads. Pick one ' +
      'to see its whole pattern, or the lines view, where each query is joined to the keys it reads with lines ' +
      'as thick as the weight. Look for previous-token heads (a stripe just below the diagonal) and heads that ' +
      'park their attention on the first token when they have nothing to do.',
  ],
  why: [
    'Direct logit attribution: the final residual stream at a position is a sum of what every component wrote ' +
      'into it — the token and position embeddings, each attention head (blocks.{l}.attn.hook_result, its ' +
      'z times its rows of W_O), each layer’s attention bias and MLP output. ln_final and the unembedding are ' +
      'linear once ln_final’s scale at that position is fixed, so each component gets an exact share of the ' +
      'logit difference between the target token and its competitor; the shares add up to it.',
    'The grid is layer × head, with each layer’s attention bias and MLP at the right: red cells raise the ' +
      'target, blue ones lower it. Direct effects only: what a head changes in later layers is not counted ' +
      'here. Click a head, an MLP or a neuron to ablate it and see its total effect in every tab; the Compare ' +
      'tab patches activations between two texts.',
  ],
  heads: [
    'What each head tends to do, scored as TransformerLens’s head detector does: on probes made of the ' +
      'end-of-text token, R random tokens, then the same R tokens again. A previous-token head looks one token ' +
      'back; a first-token head parks its attention on the first token; on the repeat a duplicate-token head ' +
      'looks at the earlier copy of the current token, and an induction head at the token that followed it ' +
      '(A B … A → B), which lets a model continue a pattern it has seen once.',
    'Scores are mean attention weights from 0 to 1, averaged over several seeded probes; the CLI’s heads ' +
      'command reports one probe so it can be checked. Click a head for its card: its scores, its pattern on your ' +
      'text, and what it writes — the tokens its OV circuit (W_E · W_V · W_O · W_U, weights only) maps the tokens ' +
      'it reads here to, and its direct effect on the prediction at the token chosen in the Tokens tab. From the ' +
      'card it opens in the Attention tab or is ablated.',
  ],
  routes: [
    'Information-flow routes (Ferrando & Voita, 2024, as the LLM Transparency Tool shows them): which earlier ' +
      'tokens and which blocks the prediction at a position read from, from one forward run. Each block adds its ' +
      'output to a position’s residual stream; every part of that sum (the residual carried on, each head’s ' +
      'contribution from each earlier token, the MLP’s output) gets an importance: how much closer, in L1 ' +
      'distance, it brings the sum to its total, normalised over the parts.',
    'Tokens run along the bottom and layers up the side. Starting from the prediction at the top, edges of ' +
      'importance above the threshold are followed backwards: blue lines are attention reading an earlier token ' +
      '(summed over heads), orange ones an MLP, dashed ones the residual stream carried past a block. The CLI’s ' +
      'routes command gives the same numbers.',
  ],
  compare: [
    'A counterfactual: pin a text as the baseline, change it (one word is enough, say a name) and inspect it ' +
      'again. This tab lines up the two texts’ tokens and predictions, position by position.',
    'Activation patching (as TransformerLens’s patching tools do it) asks where the difference is carried. The ' +
      'pinned text is the clean run and the shown text the corrupt one; they need as many tokens. For every ' +
      'layer and position (or head) the corrupt text is run again with that one activation taken from the clean ' +
      'run, and the metric logit(target) − logit(versus) at the last position is read. The cells show the ' +
      'normalised effect (patched − corrupt) / (clean − corrupt): 1 where that activation alone restores the ' +
      'clean prediction, 0 where it changes nothing.',
  ],
};

export function explanation(tab: PanelTab): HTMLElement {
  const box = el('vscode-collapsible', { class: 'gb-explain', attrs: { heading: 'What am I looking at?' } }, [
    el('div', { class: 'gb-explain-body' }, texts[tab].map((text) => el('p', { text }))),
  ]);
  return box;
}
