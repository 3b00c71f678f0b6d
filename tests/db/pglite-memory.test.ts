/** memory:// starts from a cached snapshot of a fresh cluster, and survives a bad one. */
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, rmSync, writeFileSync } from 'node:fs'
import { createMemoryPglite, snapshotPath } from '../../src/db/pglite-memory'
import { tempDir } from '../helpers/process'

const cache = tempDir('byte-cache-')
const previous = process.env.XDG_CACHE_HOME
process.env.XDG_CACHE_HOME = cache
afterAll(() => {
	if (previous === undefined) delete process.env.XDG_CACHE_HOME
	else process.env.XDG_CACHE_HOME = previous
	rmSync(cache, { recursive: true, force: true })
})

async function usable(db: Awaited<ReturnType<typeof createMemoryPglite>>) {
	await db.exec('create table t (id int primary key)')
	await db.query('insert into t values (1)')
	const { rows } = await db.query<{ n: number }>('select count(*)::int as n from t')
	await db.close()
	return rows[0]?.n
}

describe('in-memory PGlite', () => {
	test('the first start leaves a snapshot under the cache directory, named after the PGlite version', async () => {
		const file = snapshotPath() as string
		expect(file).toStartWith(`${cache}/byte/pglite-`)
		expect(existsSync(file)).toBe(false)
		expect(await usable(await createMemoryPglite())).toBe(1)
		expect(existsSync(file)).toBe(true)
	})

	test('later starts load it and get an empty cluster of their own', async () => {
		expect(await usable(await createMemoryPglite())).toBe(1)
		expect(await usable(await createMemoryPglite())).toBe(1)
	})

	test('a damaged snapshot is replaced, not trusted', async () => {
		const file = snapshotPath() as string
		writeFileSync(file, 'not a tarball')
		expect(await usable(await createMemoryPglite())).toBe(1)
		expect(Bun.file(file).size).toBeGreaterThan(1000)
	})
})
