/** db_queries_total, db_query_duration_seconds and guild_operations_total, per backend. */
import { describe, expect, test } from 'bun:test'
import { type Backend, createTestApp, testAppOn } from '../helpers/app'

export function defineDbMetricsSuite(backend: Backend) {
	describe.skipIf(!backend.available)(`database and guild metrics on ${backend.name}`, () => {
		const suite = testAppOn(backend, { level: 'info' })

		const queries = (op: string) => suite.t.sample(`db_queries_total{operation="${op}"}`)
		const timed = (op: string) => suite.t.sample(`db_query_duration_seconds_count{operation="${op}"}`)
		const ops = (op: string, status: string) =>
			suite.t.sample(`guild_operations_total{operation="${op}",status="${status}"}`)

		/** Runs `action` and returns how much each named sample moved. */
		async function delta(names: Record<string, () => number>, action: () => Promise<unknown>) {
			const before = Object.fromEntries(Object.entries(names).map(([k, f]) => [k, f()]))
			await action()
			return Object.fromEntries(Object.entries(names).map(([k, f]) => [k, f() - (before[k] as number)]))
		}

		test('every operation counts its statements and its outcome', async () => {
			const id = '424242424242424242'
			expect(
				await delta(
					{ insert: () => queries('INSERT'), timedInsert: () => timed('INSERT'), ok: () => ops('create', 'success') },
					() => suite.t.request('POST', '/api/guilds', { body: { guildId: id, guildName: 'metrics' } }),
				),
			).toEqual({ insert: 1, timedInsert: 1, ok: 1 })

			expect(
				await delta({ insert: () => queries('INSERT'), err: () => ops('create', 'error') }, () =>
					suite.t.request('POST', '/api/guilds', { body: { guildId: id, guildName: 'dup' } }),
				),
			).toEqual({ insert: 1, err: 1 })

			expect(
				await delta(
					{ select: () => queries('SELECT'), timed: () => timed('SELECT'), ok: () => ops('fetch', 'success') },
					async () => {
						for (let i = 0; i < 5; i++) await suite.t.request('GET', `/api/guilds/${id}`)
					},
				),
			).toEqual({ select: 5, timed: 5, ok: 5 })

			expect(await delta({ err: () => ops('fetch', 'error') }, () => suite.t.request('GET', '/api/guilds/1'))).toEqual({
				err: 1,
			})

			expect(
				await delta(
					{ update: () => queries('UPDATE'), ok: () => ops('update', 'success'), err: () => ops('update', 'error') },
					async () => {
						await suite.t.request('PATCH', `/api/guilds/${id}`, { body: { prefix: '$' } })
						await suite.t.request('PATCH', '/api/guilds/2', { body: { prefix: '$' } })
					},
				),
			).toEqual({ update: 2, ok: 1, err: 1 })

			expect(
				await delta(
					{ del: () => queries('DELETE'), ok: () => ops('delete', 'success'), err: () => ops('delete', 'error') },
					async () => {
						await suite.t.request('DELETE', `/api/guilds/${id}`)
						await suite.t.request('DELETE', `/api/guilds/${id}`)
					},
				),
			).toEqual({ del: 2, ok: 1, err: 1 })
		})

		test('the health probe is counted as a SELECT', async () => {
			expect(await delta({ select: () => queries('SELECT') }, () => suite.t.request('GET', '/health'))).toEqual({
				select: 1,
			})
		})

		test('query log lines carry SQL text but never parameter values', async () => {
			const debugApp = await createTestApp({ target: suite.target, level: 'debug' })
			try {
				await debugApp.request('POST', '/api/guilds', { body: { guildId: '31337', guildName: 'SecretName' } })
				const queryLines = debugApp.logs().filter((l) => l.logger === 'api.db' && l.event === 'Query')
				expect(queryLines.some((l) => String(l.sql).startsWith('insert into "guild"'))).toBe(true)
				expect(JSON.stringify(queryLines)).not.toContain('SecretName')
			} finally {
				await debugApp.close()
			}
		})
	})
}
