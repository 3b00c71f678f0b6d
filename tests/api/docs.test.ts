import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { createTestApp, type TestApp } from '../helpers/app'

let t: TestApp
let secured: TestApp
beforeAll(async () => {
	t = await createTestApp()
	secured = await createTestApp({ apiTokens: ['docs-token'] })
})
afterAll(async () => {
	await t.close()
	await secured.close()
})

type Schema = { $ref?: string; properties?: Record<string, Schema>; const?: string; anyOf?: Schema[] } & Record<
	string,
	unknown
>
type Operation = {
	requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> }
	responses: Record<string, { description?: string; content?: Record<string, { schema: Schema }> }>
	security?: Record<string, string[]>[]
}

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
		// Elysia's model ids would rebase the references beneath them in OpenAPI 3.1.
		expect(JSON.stringify(doc)).not.toContain('"$id"')
	})

	test('every request body is JSON with a shared schema, so the Swagger UI can send one', async () => {
		const doc = (await t.request('GET', '/swagger/json')).json
		const schemas = doc.components.schemas as Record<string, Schema>
		const bodies: Record<string, string> = {}
		for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>))
			for (const [method, operation] of Object.entries(item)) {
				if (!operation.requestBody) continue
				expect(Object.keys(operation.requestBody.content)).toEqual(['application/json'])
				const ref = operation.requestBody.content['application/json']!.schema.$ref!
				expect(ref).toStartWith('#/components/schemas/')
				expect(schemas[ref.slice('#/components/schemas/'.length)]).toBeDefined()
				bodies[`${method.toUpperCase()} ${path}`] = ref.slice(21)
			}
		expect(bodies).toEqual({
			'POST /api/guilds': 'GuildCreate',
			'PATCH /api/guilds/{guildId}': 'GuildUpdate',
			'PUT /api/guilds/{guildId}/github': 'GithubConfig',
			'PUT /api/guilds/{guildId}/sotags': 'SoTags',
			'PUT /api/guilds/{guildId}/allowed-users': 'AllowedUsers',
			'PUT /api/guilds/{guildId}/forum': 'ForumConfig',
		})
		// Names are described as what they are: code points, not UTF-16 units.
		const guildName = schemas.GuildCreate!.properties!.guildName!
		expect(guildName.description).toContain('Unicode code points')
		expect(new RegExp(guildName.pattern as string).test('🚀'.repeat(100))).toBe(true)
		expect(new RegExp(guildName.pattern as string).test('🚀'.repeat(101))).toBe(false)
	})

	test('DELETE documents its 204 with no body; each error status lists only its real codes', async () => {
		const doc = (await t.request('GET', '/swagger/json')).json
		const paths = doc.paths as Record<string, Record<string, Operation>>
		const schemas = doc.components.schemas as Record<string, Schema>
		expect(paths['/api/guilds/{guildId}']!.delete!.responses['204']).toEqual({
			description: 'Deleted, with all its settings',
		})
		const expected: Record<string, string> = {
			'400': 'MALFORMED_BODY',
			'404': 'NOT_FOUND',
			'409': 'CONFLICT',
			'413': 'PAYLOAD_TOO_LARGE',
			'415': 'UNSUPPORTED_MEDIA_TYPE',
			'422': 'VALIDATION_FAILED',
			'503': 'DATABASE_UNAVAILABLE',
		}
		const seen = new Set<string>()
		// (The health probes answer 503 with their own health body.)
		for (const item of Object.entries(paths).flatMap(([path, item]) => (path.startsWith('/api/') ? [item] : [])))
			for (const operation of Object.values(item))
				for (const [status, response] of Object.entries(operation.responses)) {
					if (Number(status) < 400 || !response.content) continue
					const ref = response.content['application/json']!.schema.$ref!
					const code = schemas[ref.slice(21)]!.properties!.error!.properties!.code!
					expect({ status, code: code.const }).toEqual({ status, code: expected[status] })
					seen.add(status)
				}
		expect([...seen].sort()).toEqual(Object.keys(expected).sort())
		expect(Object.keys(paths['/api/guilds']!.post!.responses).sort()).toEqual([
			'201',
			'400',
			'409',
			'413',
			'415',
			'422',
			'503',
		])
		expect(Object.keys(paths['/api/guilds/{guildId}']!.get!.responses).sort()).toEqual(['200', '404', '422', '503'])
	})

	test('with API_TOKEN, the bearer scheme is declared on every /api operation (and 401), not on health', async () => {
		expect((await t.request('GET', '/swagger/json')).json.components.securitySchemes).toBeUndefined()
		const doc = (await secured.request('GET', '/swagger/json')).json
		expect(doc.components.securitySchemes).toEqual({
			bearerAuth: { type: 'http', scheme: 'bearer', description: 'One of the tokens in API_TOKEN' },
		})
		for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Operation>>))
			for (const operation of Object.values(item)) {
				if (path.startsWith('/api/')) {
					expect(operation.security).toEqual([{ bearerAuth: [] }])
					expect(operation.responses['401']?.content?.['application/json']?.schema.$ref).toBe(
						'#/components/schemas/Unauthorized',
					)
				} else expect(operation.security).toBeUndefined()
			}
	})
})
