import { Cell } from '@jupyterlab/cells';
import { Notebook } from '@jupyterlab/notebook';

import { KernelLink } from './link';

const BADGE = 'hamilton-nb-badge';
const OUTPUT_MARK = 'hamilton-nb-output-mark';
export const STALE_OUTPUT = 'hamilton-nb-stale-output';
const STATUS_OUTPUT = 'hamilton-nb-status-output';

/**
 * Draws the kernel's state on the cells: a badge under the prompt of each `%%hamilton` cell,
 * a mark on each cell whose shown result is stale, and clickable names in `%hamilton_status`.
 * Idempotent: called again whenever the state or the cell list changes.
 */
export function decorate(notebook: Notebook, link: KernelLink, onBadgeClick: (cellId: string) => void): void {
  const state = link.state;
  const stale = new Set(state?.stale_outputs ?? []);
  for (const cell of notebook.widgets) {
    const id = cell.model.id;
    const summary = state?.cells[id];
    badge(cell, summary ? (link.running === id ? 'running' : summary.badge) : null,
      link.running === id ? 'running' : summary?.text ?? '', summary?.why ?? '', () => onBadgeClick(id));
    outputMark(cell, stale.has(id));
    cell.node.classList.toggle(STATUS_OUTPUT, !!state); // names in a status table link to their cell
  }
}

function badge(cell: Cell, kind: string | null, text: string, why: string, onClick: () => void): void {
  const area = cell.node.querySelector('.jp-Cell-inputArea') as HTMLElement | null;
  let element = area?.querySelector(`:scope > .${BADGE}`) as HTMLElement | null;
  if (!kind || !area) {
    element?.remove();
    return;
  }
  if (!element) {
    element = document.createElement('button');
    element.className = BADGE;
    element.addEventListener('click', (event) => {
      event.stopPropagation();
      onClick();
    });
    area.appendChild(element);
  }
  element.dataset.state = kind.replace(' ', '-');
  if (element.textContent !== text) {
    element.textContent = text;
  }
  element.title = `${why}\nClick: show these nodes in the graph panel.`;
}

function outputMark(cell: Cell, stale: boolean): void {
  cell.node.classList.toggle(STALE_OUTPUT, stale);
  const wrapper = cell.node.querySelector('.jp-Cell-outputWrapper') as HTMLElement | null;
  let mark = wrapper?.querySelector(`:scope > .${OUTPUT_MARK}`) as HTMLElement | null;
  if (!stale || !wrapper) {
    mark?.remove();
    return;
  }
  if (!mark) {
    mark = document.createElement('div');
    mark.className = OUTPUT_MARK;
    mark.textContent = 'stale result';
    mark.title = 'This result is out of date (its banner says why). "Recompute stale outputs" re-runs such cells.';
    wrapper.appendChild(mark);
  }
}

/** The node a click in a `%hamilton_status` table names, if it names one of ``known``. */
export function statusNode(target: HTMLElement, known: Set<string>): string | null {
  const td = target.closest('[data-hamilton-node]') as HTMLElement | null;
  if (!td || !td.closest(`.${STATUS_OUTPUT} .jp-OutputArea-output`)) {
    return null;
  }
  const name = td.dataset.hamiltonNode ?? '';
  return known.has(name) ? name : null;
}
