import { CodeCell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';

import { KernelLink } from './link';

/**
 * Re-run, in notebook order, exactly the cells whose shown result is stale; stop at the
 * first that fails, as "run all" does. Returns how many cells ran.
 */
export async function recomputeStale(panel: NotebookPanel, link: KernelLink): Promise<number> {
  const stale = new Set(link.state?.stale_outputs ?? []);
  const cells = panel.content.widgets.filter(
    (cell): cell is CodeCell => cell.model.type === 'code' && stale.has(cell.model.id)
  );
  let ran = 0;
  for (const cell of cells) {
    const reply = await CodeCell.execute(cell, panel.sessionContext);
    ran += 1;
    if (!reply || reply.content.status !== 'ok') {
      break;
    }
  }
  return ran;
}
