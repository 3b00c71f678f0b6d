import { createTestDatabase, requirePostgres } from '../helpers/postgres'
import { defineDbMetricsSuite } from './db-metrics-suite'

defineDbMetricsSuite('PostgreSQL', async () => {
	if (!(await requirePostgres('database metrics on PostgreSQL'))) return null
	const db = await createTestDatabase()
	return { target: { kind: 'postgres', url: db.url }, teardown: db.drop }
})
