/**
 * State charts of the machines: `slim-mesh chart` prints them, `npm run charts` puts them
 * in docs/ARCHITECTURE.md, and a test fails when the document is out of date.
 *
 * - ./machines.ts: every machine slim-mesh runs, by name, with a one-line summary;
 * - ./chart.ts: a machine's states and transitions read from its definition, and Mermaid;
 * - ./architecture-doc.ts: the generated block of docs/ARCHITECTURE.md.
 */
export { MACHINES } from './machines.js'
export type { ChartedMachine } from './machines.js'
export { chartOf, toMermaid } from './chart.js'
export type { Chart, ChartState, ChartTransition } from './chart.js'
export { chartsBlock, withCurrentCharts, ChartsBlockMissingError } from './architecture-doc.js'
