import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, type TestApp } from '../helpers/app'

let t: TestApp
beforeAll(async () => {
	t = await createTestApp()
})
afterAll(() => t.close())

describe('API documentation', () => {
	test('the Swagger UI page loads only local assets (works offline)', async () => {
		const page = await t.request('GET', '/swagger')
		expect(page.status).toBe(200)
		expect(page.headers.get('content-type')).toContain('text/html')
		const urls = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string)
		expect(urls.length).toBeGreaterThanOrEqual(2)
		for (const url of urls) {
			expect(url).toStartWith('/swagger/assets/')
			const asset = await t.request('GET', url)
			expect(asset.status).toBe(200)
			expect(asset.text.length).toBeGreaterThan(10_000)
		}
		expect(page.text).not.toMatch(/https?:\/\/(?!localhost)/)
		expect((await t.request('GET', '/swagger/assets/..%2F..%2Fpackage.json')).status).toBe(404)
	})

	test('the OpenAPI document lists every guild route with its schemas', async () => {
		const doc = (await t.request('GET', '/swagger/json')).json
		expect(doc.info.title).toBe('Byte API')
		const paths = doc.paths as Record<string, Record<string, { tags?: string[]; responses: Record<string, unknown> }>>
		expect(Object.keys(paths['/api/guilds'] ?? {}).sort()).toEqual(['get', 'post'])
		expect(Object.keys(paths['/api/guilds/{guildId}'] ?? {}).sort()).toEqual(['delete', 'get', 'patch'])
		for (const sub of ['github', 'sotags', 'allowed-users', 'forum'])
			expect(Object.keys(paths[`/api/guilds/{guildId}/${sub}`] ?? {}).sort()).toEqual(['get', 'put'])
		expect(paths['/api/guilds']?.post?.tags).toEqual(['Guilds'])
		expect(paths['/health/live']?.get?.tags).toEqual(['Health'])
		expect(Object.keys(paths['/api/guilds']?.post?.responses ?? {})).toEqual(
			expect.arrayContaining(['201', '400', '409', '422']),
		)
		expect(JSON.stringify(doc)).toContain('^[1-9][0-9]{0,18}$')
	})
})
