/**
 * Icons of the tracker.
 */

import { LabIcon } from '@jupyterlab/ui-components';

/**
 * A line chart over two axes: the "Runs" icon.
 *
 * Shapes carry the `jp-icon3` class so themes recolour them.
 */
const RUNS_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon3" fill="#616161" d="M3 3h2v16h16v2H3z"/>
  <g fill="none">
    <polyline class="jp-icon3" stroke="#616161" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" points="7.5,15.5 11,10.5 14.5,13.5 20,6.5"/>
  </g>
  <circle class="jp-icon3" fill="#616161" cx="20" cy="6.5" r="2"/>
</svg>`;

/**
 * The icon of the Runs panel.
 */
export const runsIcon = new LabIcon({
  name: 'jupyter-tracker:runs',
  svgstr: RUNS_SVG
});

/**
 * A warning triangle (hidden-state warnings); its shape recolours with the
 * theme's warn colour.
 */
export const warningIcon = new LabIcon({
  name: 'jupyter-tracker:warning',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <path class="jp-icon-warn0" fill="#f57c00" d="M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z"/>
</svg>`
});
