/**
 * Exposition helpers shared by both formats. They run when a metric or series is created, so
 * render only copies their results; the exceptions are `formatNumber` for values that are not
 * integers and `escapeLabelValue` for exemplars.
 */

const LABEL_SPECIALS = /[\\"\n]/;
const LABEL_SPECIALS_G = /[\\"\n]/g;
const TEXT_HELP_SPECIALS_G = /[\\\n]/g;
const OM_HELP_SPECIALS_G = /[\\"\n]/g;

function escapeChar(c: string): string {
  return c === '\n' ? '\\n' : '\\' + c;
}

/**
 * Lone UTF-16 surrogates cannot be encoded as UTF-8, and a scraper rejects the whole payload
 * when one slips through, so they become U+FFFD before anything else happens.
 */
function wellFormed(s: string): string {
  return s.isWellFormed() ? s : s.toWellFormed();
}

/** Escapes a label value (or exemplar value) for both formats: `\\`, `\"`, `\n`. */
export function escapeLabelValue(value: string): string {
  const s = wellFormed(value);
  return LABEL_SPECIALS.test(s) ? s.replace(LABEL_SPECIALS_G, escapeChar) : s;
}

/**
 * Escapes HELP text. The 0.0.4 text parser rejects `\"` in HELP, while OpenMetrics requires it,
 * hence the two variants.
 */
export function escapeHelp(help: string, openMetrics: boolean): string {
  return wellFormed(help).replace(openMetrics ? OM_HELP_SPECIALS_G : TEXT_HELP_SPECIALS_G, escapeChar);
}

/** `name1="v1",name2="v2"` for a series, built once when the series is created. */
export function labelPairs(names: readonly string[], values: readonly string[]): string {
  let out = '';
  for (let i = 0; i < names.length; i++) {
    if (i > 0) out += ',';
    out += names[i] + '="' + escapeLabelValue(values[i] ?? '') + '"';
  }
  return out;
}

/** A sample value as Prometheus parses it: `+Inf`, `-Inf`, `NaN`, otherwise JS shortest form. */
export function formatNumber(n: number): string {
  if (n - n === 0) return '' + n; // finite: Infinity - Infinity and NaN - NaN are NaN
  return n !== n ? 'NaN' : n > 0 ? '+Inf' : '-Inf';
}

/**
 * OpenMetrics wants `le` values in canonical float form (`1.0`, not `1`), which is what
 * Prometheus itself emits and matches against when it normalises bucket labels.
 */
export function formatOpenMetricsLe(n: number): string {
  const s = formatNumber(n);
  return Number.isInteger(n) && !s.includes('e') ? s + '.0' : s;
}
