import { NotebookPanel } from '@jupyterlab/notebook';
import { IRenderMime, MimeModel } from '@jupyterlab/rendermime';
import { LabIcon } from '@jupyterlab/ui-components';
import { Panel, Widget } from '@lumino/widgets';

import { KernelLink } from './link';
import { IFoundMessage, IStatusMessage, KernelMessage } from './protocol';

const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 16 16">
<g class="jp-icon3" fill="#616161"><circle cx="3" cy="3" r="2"/><circle cx="3" cy="13" r="2"/><circle cx="13" cy="8" r="2"/>
<path d="M4.5 3.8 11.6 7.3l-.5.9L4 4.7zM4 11.3l7.1-3.5.5.9-7.1 3.5z"/></g></svg>`;

export const graphIcon = new LabIcon({ name: 'hamilton-nb:graph', svgstr: ICON_SVG });

/**
 * The right sidebar: the kernel's graph widget (the same widget models, drawn by the
 * notebook's own widget manager), a search over node names, docs and tags, and the status
 * table. It follows the current notebook.
 */
export class GraphPanel extends Panel {
  constructor() {
    super();
    this.id = 'hamilton-nb-panel';
    this.addClass('hamilton-nb-panel');
    this.title.icon = graphIcon;
    this.title.caption = 'Hamilton graph';
    this._header.addClass('hamilton-nb-panel-search');
    this._header.node.innerHTML =
      '<h3>Hamilton graph</h3>' +
      '<input type="search" placeholder="find a node by name, doc or tag…" aria-label="find a node"/>' +
      '<ol class="hamilton-nb-found"></ol>';
    this._input.addEventListener('input', () => this._searchSoon());
    this._graph.addClass('hamilton-nb-panel-graph');
    this._status.addClass('hamilton-nb-panel-status');
    this._note.addClass('hamilton-nb-panel-note');
    this._note.node.textContent = 'Open a notebook and run `%load_ext hamilton_nb`.';
    this.addWidget(this._note);
    this.addWidget(this._header);
    this.addWidget(this._graph);
    this.addWidget(this._status);
  }

  /** Follow ``link`` (the current notebook's), or nothing. */
  follow(panel: NotebookPanel | null, link: KernelLink | null): void {
    if (this._link === link) {
      return;
    }
    this._link?.received.disconnect(this._onMessage, this);
    this._link?.changed.disconnect(this._onChanged, this);
    this._link = link;
    this._notebook = panel;
    this._modelId = '';
    this._graph.node.textContent = '';
    this._rendered?.dispose();
    this._rendered = null;
    link?.received.connect(this._onMessage, this);
    link?.changed.connect(this._onChanged, this);
    this._onChanged();
  }

  protected onAfterShow(): void {
    this._onChanged();
  }

  private _onChanged(): void {
    const ready = !!this._link?.state;
    this._note.node.textContent = ready ? '' : 'Run `%load_ext hamilton_nb` in this notebook to see its graph here.';
    this._note.setHidden(ready);
    if (ready && this.isVisible) {
      if (!this._modelId) {
        this._link!.send({ kind: 'panel' });
      }
      this._link!.send({ kind: 'status' });
      if (this._input.value.trim()) {
        this._search();
      }
    }
  }

  private _onMessage(_: KernelLink, message: KernelMessage): void {
    if (message.kind === 'panel') {
      void this._showGraph(message.model_id);
    } else if (message.kind === 'found') {
      this._showFound(message);
    } else if (message.kind === 'status') {
      this._showStatus(message);
    }
  }

  private async _showGraph(modelId: string): Promise<void> {
    if (modelId === this._modelId || !this._notebook) {
      return;
    }
    this._modelId = modelId;
    const rendermime = this._notebook.content.rendermime;
    if (!rendermime.mimeTypes.includes(WIDGET_MIME)) {
      this._graph.node.textContent = 'The graph needs the Jupyter widgets extension (ipywidgets).';
      return;
    }
    const renderer = rendermime.createRenderer(WIDGET_MIME) as IRenderMime.IRenderer;
    const data = { [WIDGET_MIME]: { model_id: modelId, version_major: 2, version_minor: 0 } };
    await renderer.renderModel(new MimeModel({ data }));
    this._rendered?.dispose();
    this._rendered = renderer;
    this._graph.node.textContent = '';
    Widget.attach(renderer, this._graph.node);
  }

  private _searchSoon(): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => this._search(), 150);
  }

  private _search(): void {
    const text = this._input.value.trim();
    if (!text) {
      this._found.textContent = '';
      return;
    }
    this._link?.send({ kind: 'search', text });
  }

  private _showFound(message: IFoundMessage): void {
    if (message.text !== this._input.value.trim()) {
      return; // an older answer
    }
    this._found.textContent = '';
    if (!message.nodes.length) {
      this._found.appendChild(item('no node matches', '', ''));
    }
    for (const found of message.nodes) {
      const li = item(found.node, `${found.module} · ${found.state}`, found.doc || found.tags);
      li.dataset.node = found.node;
      li.tabIndex = 0;
      li.addEventListener('click', () => this._focus(found.node));
      li.addEventListener('keydown', (e) => e.key === 'Enter' && this._focus(found.node));
      this._found.appendChild(li);
    }
  }

  private _focus(node: string): void {
    this._link?.send({ kind: 'focus', node }); // the kernel focuses the graph and reveals the cell
  }

  private _showStatus(message: IStatusMessage): void {
    const table = document.createElement('table');
    table.innerHTML = '<thead><tr><th>node</th><th>module</th><th>state</th><th>ms</th></tr></thead>';
    const body = document.createElement('tbody');
    for (const row of message.rows) {
      const tr = document.createElement('tr');
      tr.dataset.state = row.state.replace(' ', '-');
      for (const value of [row.node, row.module, row.state, row.ms === null ? '' : String(row.ms)]) {
        const td = document.createElement('td');
        td.textContent = value;
        tr.appendChild(td);
      }
      tr.firstElementChild!.addEventListener('click', () => this._focus(row.node));
      body.appendChild(tr);
    }
    table.appendChild(body);
    this._status.node.textContent = '';
    this._status.node.appendChild(table);
  }

  private get _input(): HTMLInputElement {
    return this._header.node.querySelector('input')!;
  }

  private get _found(): HTMLElement {
    return this._header.node.querySelector('ol')!;
  }

  private _link: KernelLink | null = null;
  private _notebook: NotebookPanel | null = null;
  private _modelId = '';
  private _rendered: Widget | null = null;
  private _timer = 0;
  private _note = new Widget();
  private _header = new Widget();
  private _graph = new Widget();
  private _status = new Widget();
}

function item(title: string, meta: string, detail: string): HTMLLIElement {
  const li = document.createElement('li');
  const name = document.createElement('b');
  name.textContent = title;
  li.appendChild(name);
  if (meta) {
    const span = document.createElement('span');
    span.textContent = ` ${meta}`;
    li.appendChild(span);
  }
  if (detail) {
    const p = document.createElement('div');
    p.textContent = detail;
    li.appendChild(p);
  }
  return li;
}
