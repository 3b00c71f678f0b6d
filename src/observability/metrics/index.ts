export { Registry, SERIES_DROPPED_METRIC, type RegistryOptions } from './registry.ts'
export {
	Counter,
	CounterCollector,
	type CounterChild,
	type CounterDefinition,
	type SettableCounterChild,
} from './counter.ts'
export { Gauge, type GaugeChild, type GaugeDefinition } from './gauge.ts'
export {
	DEFAULT_BUCKETS,
	type Exemplar,
	Histogram,
	type HistogramChild,
	type HistogramDefinition,
} from './histogram.ts'
export { EXEMPLAR_MAX_CODE_POINTS, ExemplarLabels, traceExemplar } from './exemplar.ts'
export { OVERFLOW_LABEL_VALUE } from './metric.ts'
export { MetricDefinitionError } from './validate.ts'
export {
	negotiate,
	OPENMETRICS_CONTENT_TYPE,
	TEXT_CONTENT_TYPE,
	type NegotiatedFormat,
} from './negotiate.ts'
export { escapeLabelValue, formatNumber } from './format.ts'
export type { LabelNames, LabelValues, MetricDefinition, MetricsFormat, MetricType } from './types.ts'
