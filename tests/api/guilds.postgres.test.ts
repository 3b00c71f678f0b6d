import { createTestDatabase, requirePostgres } from '../helpers/postgres'
import { defineGuildSuite } from './guild-suite'

defineGuildSuite({
	name: 'PostgreSQL',
	available: await requirePostgres('guild API on PostgreSQL'),
	async open() {
		const db = await createTestDatabase()
		return { target: { kind: 'postgres', url: db.url }, teardown: db.drop }
	},
})
