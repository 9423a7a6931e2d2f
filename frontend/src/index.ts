import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, ToolbarButton } from '@jupyterlab/apputils';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { decorate, statusNode } from './badges';
import { KernelLink } from './link';
import { GraphPanel, graphIcon } from './panel';
import { recomputeStale } from './recompute';
import { offerJump, reveal } from './reveal';

const RECOMPUTE = 'hamilton-nb:recompute-stale';
const OPEN_PANEL = 'hamilton-nb:open-panel';

/**
 * hamilton_nb in JupyterLab 4 and Notebook 7: cell badges, jump to definition, a graph side
 * panel and "Recompute stale outputs". The kernel side is `%load_ext hamilton_nb`.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'hamilton-nb:plugin',
  description: 'Cell badges, jump to definition, a graph side panel and "Recompute stale outputs" for hamilton_nb.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ICommandPalette, IDocumentManager],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, palette: ICommandPalette | null,
             docs: IDocumentManager | null) => {
    const links = new WeakMap<NotebookPanel, KernelLink>();
    // where the last click happened: a node clicked in an output's graph offers the jump
    // instead of scrolling the graph away from under the pointer
    let pointer = { target: null as Element | null, x: 0, y: 0, time: 0 };
    document.addEventListener(
      'pointerdown',
      (event) => (pointer = { target: event.target as Element, x: event.clientX, y: event.clientY, time: Date.now() }),
      true
    );
    const panel = new GraphPanel();
    const current = () => {
      const notebook = tracker.currentWidget;
      return notebook ? { notebook, link: links.get(notebook) ?? null } : null;
    };
    const openPanel = () => {
      if (!panel.isAttached) {
        app.shell.add(panel, 'right', { rank: 900 });
      }
      app.shell.activateById(panel.id);
    };

    tracker.widgetAdded.connect((_, notebook) => {
      const link = new KernelLink(notebook);
      links.set(notebook, link);
      const redraw = () =>
        decorate(notebook.content, link, (cellId) => {
          openPanel();
          link.send({ kind: 'show_cell', cell: cellId });
        });
      link.changed.connect(redraw);
      link.changed.connect(() => app.commands.notifyCommandChanged(RECOMPUTE));
      notebook.content.model?.cells.changed.connect(() => requestAnimationFrame(redraw));
      notebook.content.modelContentChanged.connect(() => requestAnimationFrame(redraw));
      link.received.connect((_, message) => {
        if (message.kind !== 'reveal') {
          return;
        }
        const inOutput = pointer.target?.closest('.jp-Cell-outputArea .hamilton-graph') && notebook.node.contains(pointer.target);
        if (inOutput && Date.now() - pointer.time < 3000 && (message.cell || message.file)) {
          const label = message.cell ? `Go to the cell defining ${message.node}` : `Open ${message.file}:${message.line}`;
          offerJump(pointer.x, pointer.y, label, () => void reveal(notebook, message, docs));
        } else {
          void reveal(notebook, message, docs);
        }
      });
      notebook.content.node.addEventListener('click', (event) => {
        const known = new Set(Object.values(link.state?.cells ?? {}).flatMap((c) => c.nodes));
        const node = statusNode(event.target as HTMLElement, known);
        if (node) {
          link.send({ kind: 'reveal', node });
        }
      });
      notebook.disposed.connect(() => link.dispose());
      if (tracker.currentWidget === notebook) {
        panel.follow(notebook, link);
      }
    });
    tracker.currentChanged.connect(() => {
      const found = current();
      panel.follow(found?.notebook ?? null, found?.link ?? null);
    });

    app.commands.addCommand(RECOMPUTE, {
      label: 'Recompute stale outputs',
      caption: 'Re-run, in notebook order, exactly the cells whose shown result is stale',
      isEnabled: () => (current()?.link?.state?.stale_outputs.length ?? 0) > 0,
      execute: async () => {
        const found = current();
        return found?.link ? recomputeStale(found.notebook, found.link) : 0;
      }
    });
    app.commands.addCommand(OPEN_PANEL, {
      label: 'Show the Hamilton graph panel',
      icon: graphIcon,
      execute: openPanel
    });
    app.commands.addKeyBinding({ command: RECOMPUTE, keys: ['Accel Shift Enter'], selector: '.jp-Notebook' });
    palette?.addItem({ command: RECOMPUTE, category: 'Hamilton' });
    palette?.addItem({ command: OPEN_PANEL, category: 'Hamilton' });

    app.docRegistry.addWidgetExtension('Notebook', {
      createNew: (notebook: NotebookPanel) => {
        const button = new ToolbarButton({
          className: 'hamilton-nb-recompute',
          label: 'Recompute stale',
          tooltip: 'Recompute stale outputs (Ctrl/⌘+Shift+Enter): re-run the cells whose shown result is stale',
          onClick: () => void app.commands.execute(RECOMPUTE)
        });
        if (!notebook.toolbar.insertAfter('cellType', 'hamilton-nb-recompute', button)) {
          notebook.toolbar.addItem('hamilton-nb-recompute', button);
        }
        const link = links.get(notebook);
        link?.changed.connect(() => button.toggleClass('hamilton-nb-has-stale', !!link.state?.stale_outputs.length));
        return button;
      }
    });
    app.restored.then(() => {
      try {
        app.shell.add(panel, 'right', { rank: 900 });
      } catch {
        // a shell without a right sidebar: the panel opens on demand
      }
    });
  }
};

export default plugin;
