import { defineGuildSuite } from './guild-suite'

defineGuildSuite('in-memory PGlite', async () => ({ target: { kind: 'pglite-memory' } }))
