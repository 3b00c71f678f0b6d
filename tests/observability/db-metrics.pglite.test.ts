import { defineDbMetricsSuite } from './db-metrics-suite'

defineDbMetricsSuite('in-memory PGlite', async () => ({ target: { kind: 'pglite-memory' } }))
