import { defineGuildSuite } from './guild-suite'

defineGuildSuite({
	name: 'in-memory PGlite',
	available: true,
	open: async () => ({ target: { kind: 'pglite-memory' } }),
})
