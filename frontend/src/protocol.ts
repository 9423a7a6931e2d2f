/**
 * The messages of the `hamilton_nb` comm (the kernel side is hamilton_nb/notebook/frontend_comm.py).
 */

/** One `%%hamilton` cell's badge, as the kernel summarises it. */
export interface ICellSummary {
  module: string;
  badge: string; // fresh | stale | error | running | not computed | evicted | untracked | empty
  text: string; // what the badge reads, e.g. "3 stale"
  counts: { [state: string]: number };
  why: string; // the badge's hover title
  nodes: string[];
}

/** Sent once per batch of changes. */
export interface ICellsMessage {
  kind: 'cells';
  cells: { [cellId: string]: ICellSummary };
  stale_outputs: string[]; // cell ids whose shown result is stale
}

export interface IRunningMessage {
  kind: 'running';
  cell: string | null;
}

export interface IRevealMessage {
  kind: 'reveal';
  node: string;
  module?: string;
  cell?: string;
  file?: string;
  line?: number;
}

export interface IPanelMessage {
  kind: 'panel';
  model_id: string;
  module?: string;
}

export interface IFoundNode {
  node: string;
  module: string;
  state: string;
  doc: string;
  tags: string;
}

export interface IFoundMessage {
  kind: 'found';
  text: string;
  nodes: IFoundNode[];
}

export interface IStatusRow {
  node: string;
  module: string;
  state: string;
  type: string;
  ms: number | null;
}

export interface IStatusMessage {
  kind: 'status';
  rows: IStatusRow[];
}

export type KernelMessage =
  | ICellsMessage
  | IRunningMessage
  | IRevealMessage
  | IPanelMessage
  | IFoundMessage
  | IStatusMessage;

export const TARGET = 'hamilton_nb';
