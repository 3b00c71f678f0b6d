import { describe, expect, test } from 'bun:test'
import { routeTable } from '../../src/server/route-table'

const routes = [
	{ method: 'GET', path: '/api/guilds' },
	{ method: 'POST', path: '/api/guilds' },
	{ method: 'GET', path: '/api/guilds/:guildId' },
	{ method: 'DELETE', path: '/api/guilds/:guildId' },
	{ method: 'PUT', path: '/api/guilds/:guildId/github' },
	{ method: 'POST', path: '/api/guilds/sync' },
	{ method: 'GET', path: '/swagger/assets/*' },
]

describe('routeTable', () => {
	const table = routeTable(() => routes)

	test('a path matches its template, with the methods served there and HEAD beside GET', () => {
		expect(table.match('/api/guilds')).toEqual({ template: '/api/guilds', methods: ['GET', 'HEAD', 'POST'] })
		expect(table.match('/api/guilds/')).toEqual({ template: '/api/guilds', methods: ['GET', 'HEAD', 'POST'] })
		expect(table.match('/api/guilds/42/github')).toEqual({ template: '/api/guilds/:guildId/github', methods: ['PUT'] })
	})

	test('a static segment wins the template, and the methods of every matching template are allowed', () => {
		expect(table.match('/api/guilds/sync')).toEqual({
			template: '/api/guilds/sync',
			methods: ['GET', 'HEAD', 'POST', 'DELETE'],
		})
	})

	test('parameters need a segment; wildcards take the rest; nothing else matches', () => {
		expect(table.match('/api/guilds//github')).toBeUndefined()
		expect(table.match('/swagger/assets/a/b.css')?.template).toBe('/swagger/assets/*')
		for (const path of ['/', '/api', '/api/guild', '/api/guilds/42/github/x', '/API/guilds', '/api/guilds.json'])
			expect(table.match(path)).toBeUndefined()
	})

	test('routes added later are seen', () => {
		const list = [...routes]
		const growing = routeTable(() => list)
		expect(growing.match('/late')).toBeUndefined()
		list.push({ method: 'PATCH', path: '/late' })
		expect(growing.match('/late')).toEqual({ template: '/late', methods: ['PATCH'] })
	})
})
