import { createTestDatabase, requirePostgres } from '../helpers/postgres'
import { defineGuildSuite } from './guild-suite'

defineGuildSuite('PostgreSQL', async () => {
	if (!(await requirePostgres('guild API on PostgreSQL'))) return null
	const db = await createTestDatabase()
	return { target: { kind: 'postgres', url: db.url }, teardown: db.drop }
})
