import { createTestDatabase, requirePostgres } from '../helpers/postgres'
import { defineDbMetricsSuite } from './db-metrics-suite'

defineDbMetricsSuite({
	name: 'PostgreSQL',
	available: await requirePostgres('database metrics on PostgreSQL'),
	async open() {
		const db = await createTestDatabase()
		return { target: { kind: 'postgres', url: db.url }, teardown: db.drop }
	},
})
