// Reading what a user sees in the workbench: the text editor's lines (without ghost text), the selection as
// the status bar reports it, and where a word is on screen so the mouse can go there.
import type { Locator, Page } from 'playwright-core';

/** The text editor of the first editor group (the Inspect panel opens in the second). */
export function textEditor(page: Page): Locator {
  return page.locator('.editor-group-container').first().locator('.monaco-editor').first();
}

/**
 * The editor's visible lines as the document has them: ghost text (an inline suggestion not accepted yet) is
 * drawn inside the line, so its spans are left out. Lines are sorted by their place on screen, since Monaco
 * reuses line elements out of order.
 */
export async function editorLines(page: Page): Promise<string[]> {
  return textEditor(page)
    .locator('.view-lines')
    .evaluate((lines) =>
      Array.from(lines.querySelectorAll<HTMLElement>('.view-line'))
        .map((line) => {
          const copy = line.cloneNode(true) as HTMLElement;
          for (const ghost of copy.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview')) ghost.remove();
          return { top: parseFloat(line.style.top) || 0, text: (copy.textContent ?? '').replace(/\u00a0/g, ' ') };
        })
        .sort((a, b) => a.top - b.top)
        .map((line) => line.text),
    );
}

/** The ghost text shown in the editor right now, spaces normalised ('' when there is none). */
export async function ghostText(page: Page): Promise<string> {
  const parts = await textEditor(page).locator('.ghost-text-decoration').allTextContents();
  return parts.join('').replace(/\u00a0/g, ' ');
}

/** The status bar's cursor item, e.g. "Ln 2, Col 20 (4 selected)". */
export function selectionStatus(page: Page): Locator {
  return page.locator('[id="status.editor.selection"]');
}

/** The middle of the `occurrence`-th appearance of `word` in the text editor's visible lines, in page pixels. */
export async function wordCentre(page: Page, word: string): Promise<{ x: number; y: number }> {
  const point = await textEditor(page)
    .locator('.view-lines')
    .evaluate((lines, wanted) => {
      const walker = document.createTreeWalker(lines, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = (node.textContent ?? '').replace(/\u00a0/g, ' ');
        const at = text.indexOf(wanted);
        if (at < 0) continue;
        const range = document.createRange();
        range.setStart(node, at);
        range.setEnd(node, at + wanted.length);
        const rect = range.getBoundingClientRect();
        return { x: rect.left + rect.width / 2, y: rect.top + rect.height / 2 };
      }
      return null;
    }, word);
  if (!point) throw new Error(`"${word}" is not on screen in the text editor`);
  return point;
}

/** Polls `condition` until it holds: for states spread over frames that no single locator can wait on. */
export async function until(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
