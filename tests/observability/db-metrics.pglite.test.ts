import { defineDbMetricsSuite } from './db-metrics-suite'

defineDbMetricsSuite({
	name: 'in-memory PGlite',
	available: true,
	open: async () => ({ target: { kind: 'pglite-memory' } }),
})
