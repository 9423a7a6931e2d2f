import { PathExt } from '@jupyterlab/coreutils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { NotebookPanel } from '@jupyterlab/notebook';

import { IRevealMessage } from './protocol';

const HIGHLIGHT = 'hamilton-nb-highlight';
const HIGHLIGHT_MS = 2000;

/**
 * Jump to a node's definition: scroll to and flash the cell that defines it, or open the
 * file it was imported from at its line.
 */
export async function reveal(panel: NotebookPanel, where: IRevealMessage, docs: IDocumentManager | null): Promise<void> {
  if (where.cell) {
    const notebook = panel.content;
    const index = notebook.widgets.findIndex((cell) => cell.model.id === where.cell);
    if (index < 0) {
      return;
    }
    const cell = notebook.widgets[index];
    notebook.activeCellIndex = index;
    await notebook.scrollToCell(cell, 'center');
    cell.node.classList.remove(HIGHLIGHT);
    void cell.node.offsetWidth; // restart the animation when the same cell is revealed again
    cell.node.classList.add(HIGHLIGHT);
    window.setTimeout(() => cell.node.classList.remove(HIGHLIGHT), HIGHLIGHT_MS);
  } else if (where.file && docs) {
    const path = PathExt.join(PathExt.dirname(panel.context.path), where.file);
    const widget = docs.openOrReveal(path);
    if (!widget) {
      return;
    }
    await widget.context.ready;
    const editor = (widget as any).content?.editor;
    if (editor && where.line) {
      const position = { line: Math.max(0, where.line - 1), column: 0 };
      editor.setCursorPosition(position);
      editor.revealPosition?.(position);
      editor.focus?.();
    }
  }
}

const JUMP = 'hamilton-nb-jump';
const JUMP_MS = 6000;

/**
 * A node clicked in a graph shown in an output: the notebook stays where it is (the widget
 * shows the node's details), and a small button by the pointer offers the jump.
 */
export function offerJump(x: number, y: number, label: string, go: () => void): HTMLElement {
  document.querySelectorAll(`.${JUMP}`).forEach((old) => old.remove());
  const button = document.createElement('button');
  button.className = JUMP;
  button.textContent = label;
  button.title = 'Scroll to the cell that defines this node (or open its file)';
  button.style.left = `${Math.min(x + 14, window.innerWidth - 220)}px`;
  button.style.top = `${Math.min(y + 14, window.innerHeight - 40)}px`;
  button.addEventListener('click', (event) => {
    event.stopPropagation();
    button.remove();
    go();
  });
  document.body.appendChild(button);
  window.setTimeout(() => button.remove(), JUMP_MS);
  return button;
}
