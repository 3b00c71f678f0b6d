/** Label names of a metric, declared as a const tuple so `labels(...)` arity is checked. */
export type LabelNames = readonly string[]

/** One string per label name, positionally, in `labelNames` order. */
export type LabelValues<L extends LabelNames> = { readonly [K in keyof L]: string }

/** Exposition formats the registry can render. */
export type MetricsFormat = 'text' | 'openmetrics'

export type MetricType = 'counter' | 'gauge' | 'histogram'

/** Fields shared by every metric definition. */
export interface MetricDefinition<L extends LabelNames> {
	/** Metric name, `[a-zA-Z_:][a-zA-Z0-9_:]*`; counters must end in `_total`. */
	name: string
	/** Non-empty description rendered as `# HELP`. */
	help: string
	/** Label names as a const tuple; omitted means an unlabelled metric. */
	labelNames?: L
	/** Series cap for this metric; defaults to the registry's `maxSeriesPerMetric`. */
	maxSeries?: number
}
