/**
 * The guild API's behaviour, run once per backend (PGlite and PostgreSQL) through
 * `app.handle(new Request(...))`: every route, status and error body.
 */
import { describe, expect, test } from 'bun:test'
import { type Backend, testAppOn } from '../helpers/app'

const BIG = '1234567890123456789' // > 2^53: must round-trip exactly
const MAX = '9223372036854775807' // 2^63 - 1

export function defineGuildSuite(backend: Backend) {
	describe.skipIf(!backend.available)(`guild API on ${backend.name}`, () => {
		const suite = testAppOn(backend)

		let n = 100n
		const freshId = () => String(++n * 1_000_000_007n)
		const create = (body: Record<string, unknown>) => suite.t.request('POST', '/api/guilds', { body })

		test('creates a guild with defaults and returns 201 with Location', async () => {
			const res = await create({ guildId: BIG, guildName: 'Litestar' })
			expect(res.status).toBe(201)
			expect(res.headers.get('location')).toBe(`/api/guilds/${BIG}`)
			expect(res.json).toMatchObject({
				guildId: BIG,
				guildName: 'Litestar',
				prefix: '!',
				helpChannelId: null,
				showcaseChannelId: null,
				syncLabel: null,
				issueLinking: false,
				commentLinking: false,
				pepLinking: false,
			})
			expect(Date.parse(res.json.createdAt)).toBeGreaterThan(0)
		})

		test('a 19-digit snowflake round-trips exactly', async () => {
			const res = await suite.t.request('GET', `/api/guilds/${BIG}`)
			expect(res.status).toBe(200)
			expect(res.json.guildId).toBe(BIG)
			expect(res.text).toContain(`"guildId":"${BIG}"`)
			const max = await create({ guildId: MAX, guildName: 'max', helpChannelId: MAX })
			expect(max.status).toBe(201)
			expect((await suite.t.request('GET', `/api/guilds/${MAX}`)).json.helpChannelId).toBe(MAX)
		})

		test('duplicate create is 409 with the error body', async () => {
			const res = await create({ guildId: BIG, guildName: 'again' })
			expect(res.status).toBe(409)
			expect(res.json.error.code).toBe('CONFLICT')
			expect(res.json.error.correlation_id).toBe(res.headers.get('x-correlation-id'))
		})

		test('lists with limit, offset and total', async () => {
			for (let i = 0; i < 3; i++) await create({ guildId: freshId(), guildName: `g${i}` })
			const all = await suite.t.request('GET', '/api/guilds?limit=100')
			expect(all.status).toBe(200)
			expect(all.json.total).toBe(all.json.items.length)
			const page = await suite.t.request('GET', '/api/guilds?limit=2&offset=1')
			expect(page.json.items).toHaveLength(2)
			expect(page.json).toMatchObject({ limit: 2, offset: 1, total: all.json.total })
			expect(page.json.items[0].guildId).toBe(all.json.items[1].guildId)
			expect((await suite.t.request('GET', '/api/guilds?limit=1000')).status).toBe(422)
			expect((await suite.t.request('GET', '/api/guilds?limit=0')).status).toBe(422)
		})

		test('patches some fields and bumps updatedAt', async () => {
			const id = freshId()
			const created = (await create({ guildId: id, guildName: 'before' })).json
			await Bun.sleep(5)
			const res = await suite.t.request('PATCH', `/api/guilds/${id}`, {
				body: { guildName: 'after', prefix: '?', issueLinking: true, showcaseChannelId: BIG },
			})
			expect(res.status).toBe(200)
			expect(res.json).toMatchObject({ guildName: 'after', prefix: '?', issueLinking: true, showcaseChannelId: BIG })
			expect(Date.parse(res.json.updatedAt)).toBeGreaterThan(Date.parse(created.updatedAt))
			expect((await suite.t.request('PATCH', `/api/guilds/${freshId()}`, { body: { guildName: 'x' } })).status).toBe(
				404,
			)
		})

		test('settings sub-resources are readable (defaults) and replaceable', async () => {
			const id = freshId()
			await create({ guildId: id, guildName: 'settings' })
			const base = `/api/guilds/${id}`

			expect((await suite.t.request('GET', `${base}/github`)).json).toEqual({
				githubOrganization: null,
				githubRepository: null,
				discussionSync: false,
			})
			const github = { githubOrganization: 'litestar-org', githubRepository: 'litestar', discussionSync: true }
			expect((await suite.t.request('PUT', `${base}/github`, { body: github })).json).toEqual(github)
			expect((await suite.t.request('GET', `${base}/github`)).json).toEqual(github)

			const tags = [{ tagName: 'python' }, { tagName: 'litestar' }]
			expect((await suite.t.request('PUT', `${base}/sotags`, { body: tags })).json).toEqual([
				{ tagName: 'litestar' },
				{ tagName: 'python' },
			])
			expect(
				(await suite.t.request('PUT', `${base}/sotags`, { body: [{ tagName: 'x' }, { tagName: 'x' }] })).status,
			).toBe(422)
			expect((await suite.t.request('PUT', `${base}/sotags`, { body: [{ tagName: 'asyncio' }] })).status).toBe(200)
			expect((await suite.t.request('GET', `${base}/sotags`)).json).toEqual([{ tagName: 'asyncio' }])

			const users = [{ userId: BIG }, { userId: '42' }]
			expect((await suite.t.request('PUT', `${base}/allowed-users`, { body: users })).status).toBe(200)
			expect((await suite.t.request('GET', `${base}/allowed-users`)).json).toEqual([{ userId: '42' }, { userId: BIG }])

			const forum = {
				helpForum: true,
				helpForumCategory: 'Help',
				helpThreadAutoClose: true,
				helpThreadAutoCloseDays: 7,
				helpThreadNotify: true,
				helpThreadNotifyRoles: [BIG],
				helpThreadNotifyDays: 2,
				helpThreadSync: false,
				showcaseForum: true,
				showcaseForumCategory: null,
				showcaseThreadAutoClose: false,
				showcaseThreadAutoCloseDays: null,
			}
			expect((await suite.t.request('GET', `${base}/forum`)).json.helpForum).toBe(false)
			expect((await suite.t.request('PUT', `${base}/forum`, { body: forum })).json).toEqual(forum)
			expect((await suite.t.request('GET', `${base}/forum`)).json).toEqual(forum)
			const badDays = await suite.t.request('PUT', `${base}/forum`, { body: { ...forum, helpThreadAutoCloseDays: 0 } })
			expect(badDays.status).toBe(422)
			expect(badDays.json.error.message).toContain('helpThreadAutoCloseDays')

			for (const sub of ['github', 'sotags', 'allowed-users', 'forum']) {
				const res = await suite.t.request('GET', `/api/guilds/${freshId()}/${sub}`)
				expect(res.status).toBe(404)
				expect(res.json.error.code).toBe('NOT_FOUND')
			}
			expect((await suite.t.request('PUT', `/api/guilds/${freshId()}/github`, { body: github })).status).toBe(404)
		})

		test('deleting a guild deletes its settings; delete is 204 then 404', async () => {
			const id = freshId()
			await create({ guildId: id, guildName: 'doomed' })
			await suite.t.request('PUT', `/api/guilds/${id}/sotags`, { body: [{ tagName: 'bun' }] })
			await suite.t.request('PUT', `/api/guilds/${id}/github`, {
				body: { githubOrganization: 'o', githubRepository: 'r', discussionSync: false },
			})
			const res = await suite.t.request('DELETE', `/api/guilds/${id}`)
			expect(res.status).toBe(204)
			expect(res.text).toBe('')
			expect((await suite.t.request('GET', `/api/guilds/${id}`)).status).toBe(404)
			expect((await suite.t.request('DELETE', `/api/guilds/${id}`)).status).toBe(404)
			// Re-creating starts from defaults: the old settings went with the guild.
			await create({ guildId: id, guildName: 'reborn' })
			expect((await suite.t.request('GET', `/api/guilds/${id}/sotags`)).json).toEqual([])
			expect((await suite.t.request('GET', `/api/guilds/${id}/github`)).json.githubOrganization).toBeNull()
		})

		test('bad input gets its status and a JSON error naming the field', async () => {
			const malformed = await suite.t.request('POST', '/api/guilds', { body: '{"guildId": ' })
			expect(malformed.status).toBe(400)
			expect(malformed.json.error.code).toBe('MALFORMED_BODY')

			const missing = await create({ guildName: 'no id' })
			expect(missing.status).toBe(422)
			expect(missing.json.error.message).toContain('guildId')

			const wrongType = await create({ guildId: freshId(), guildName: 'x', issueLinking: 'yes' })
			expect(wrongType.status).toBe(422)
			expect(wrongType.json.error.message).toContain('issueLinking')

			const tooLong = await create({ guildId: freshId(), guildName: 'x'.repeat(101) })
			expect(tooLong.status).toBe(422)
			expect(tooLong.json.error.message).toContain('guildName')

			for (const bad of ['0', '-1', 'abc', '12.5', '99999999999999999999', '9223372036854775808', '0123']) {
				const res = await suite.t.request('GET', `/api/guilds/${encodeURIComponent(bad)}`)
				expect([404, 422]).toContain(res.status)
				expect(res.json.error.correlation_id).toBeString()
				const body = await create({ guildId: bad, guildName: 'x' })
				expect(body.status).toBe(422)
				expect(body.json.error.message).toContain('guildId')
			}

			const unknownField = await suite.t.request('PATCH', `/api/guilds/${BIG}`, { body: { guildname: 'typo' } })
			expect(unknownField.status).toBe(422)
			expect(unknownField.json.error.message).toContain('guildname')
			const immutable = await suite.t.request('PATCH', `/api/guilds/${BIG}`, { body: { guildId: '1' } })
			expect(immutable.status).toBe(422)
			expect(immutable.json.error.message).toContain('guildId')
			const polluted = await create({ guildId: freshId(), guildName: 'x', ['__proto__']: { admin: true } })
			expect(JSON.parse('{}').admin).toBeUndefined()
			expect([201, 422]).toContain(polluted.status)

			const emptyPatch = await suite.t.request('PATCH', `/api/guilds/${BIG}`, { body: {} })
			expect(emptyPatch.status).toBe(422)

			const unknown = await suite.t.request('GET', '/api/nope')
			expect(unknown.status).toBe(404)
			expect(unknown.json.error).toMatchObject({ code: 'NOT_FOUND' })
			expect(unknown.json.error.correlation_id).toBe(unknown.headers.get('x-correlation-id'))
		})

		test('20 parallel identical PUTs of each settings sub-resource all answer 200 and leave exactly the body', async () => {
			const id = freshId()
			await create({ guildId: id, guildName: 'parallel' })
			const bodies: Record<string, unknown> = {
				'allowed-users': [{ userId: '42' }, { userId: BIG }],
				sotags: [{ tagName: 'bun' }, { tagName: 'postgres' }],
				github: { githubOrganization: 'litestar-org', githubRepository: 'byte', discussionSync: true },
				forum: {
					helpForum: true,
					helpForumCategory: 'Help',
					helpThreadAutoClose: false,
					helpThreadAutoCloseDays: null,
					helpThreadNotify: false,
					helpThreadNotifyRoles: [BIG],
					helpThreadNotifyDays: null,
					helpThreadSync: true,
					showcaseForum: false,
					showcaseForumCategory: null,
					showcaseThreadAutoClose: false,
					showcaseThreadAutoCloseDays: null,
				},
			}
			// Real parallel HTTP requests: 20 connections at once, handled concurrently.
			const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => suite.t.app.handle(request) })
			try {
				for (const [sub, body] of Object.entries(bodies)) {
					// Twice: into an empty set, then over the rows the first round left.
					for (let round = 0; round < 2; round++) {
						const replies = await Promise.all(
							Array.from({ length: 20 }, async () => {
								const res = await fetch(`http://127.0.0.1:${server.port}/api/guilds/${id}/${sub}`, {
									method: 'PUT',
									headers: { 'content-type': 'application/json' },
									body: JSON.stringify(body),
								})
								return { status: res.status, json: (await res.json()) as any }
							}),
						)
						const statuses = replies.map((r) => `${r.status} ${r.json?.error?.message ?? ''}`.trim())
						expect({ sub, statuses }).toEqual({ sub, statuses: replies.map(() => '200') })
						expect((await suite.t.request('GET', `/api/guilds/${id}/${sub}`)).json).toEqual(replies[0]!.json)
					}
				}
			} finally {
				await server.stop(true)
			}
			expect((await suite.t.request('GET', `/api/guilds/${id}/allowed-users`)).json).toEqual([
				{ userId: '42' },
				{ userId: BIG },
			])
			// A PUT for a guild that does not exist stays a 404, in parallel too.
			const missing = await Promise.all(
				Array.from({ length: 5 }, () =>
					suite.t.request('PUT', `/api/guilds/${freshId()}/allowed-users`, { body: bodies['allowed-users'] }),
				),
			)
			expect(missing.map((r) => r.status)).toEqual([404, 404, 404, 404, 404])
		})

		test('parallel identical creates: one 201, the rest 409 "already exists"; the duplicates count as constraint errors', async () => {
			const id = freshId()
			const replies = await Promise.all(Array.from({ length: 10 }, () => create({ guildId: id, guildName: 'race' })))
			const statuses = replies.map((r) => r.status).sort()
			expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409, 409, 409])
			for (const r of replies.filter((r) => r.status === 409))
				expect(r.json.error.message).toBe(`Guild ${id} already exists`)
			expect(suite.t.sample('db_errors_total{operation="INSERT",kind="constraint"}')).toBeGreaterThanOrEqual(9)
			expect(suite.t.sample('db_errors_total{operation="INSERT",kind="unavailable"}')).toBe(0)
		})

		test('text PostgreSQL cannot store is a 422 and a constraint error, not an outage', async () => {
			const before = suite.t.sample('db_errors_total{operation="INSERT",kind="constraint"}')
			const res = await create({ guildId: freshId(), guildName: 'nul\u0000byte' })
			expect(res.status).toBe(422)
			expect(suite.t.sample('db_errors_total{operation="INSERT",kind="constraint"}')).toBe(before + 1)
			expect(suite.t.sample('db_errors_total{operation="INSERT",kind="other"}')).toBe(0)
		})

		test('names are 1–100 Unicode code points of any script, stored and returned exactly', async () => {
			const names = [
				'🚀'.repeat(100), // 100 code points, 200 UTF-16 units
				'👩‍💻'.repeat(33), // ZWJ sequences: 3 code points each, 99 in all
				'e\u0301'.repeat(50), // combining marks, kept as sent (not normalised to é)
				'Ελληνικά · العربية · עברית · 中文社区 · 日本語 · 한국어 · हिन्दी · ไทย · ქართული',
				'𝔘𝔫𝔦𝔠𝔬𝔡𝔢 🏳️‍🌈',
				' leading and trailing blanks are content ',
			]
			for (const guildName of names) {
				const id = freshId()
				const res = await create({ guildId: id, guildName })
				expect({ guildName, status: res.status }).toEqual({ guildName, status: 201 })
				expect(res.json.guildName).toBe(guildName)
				expect((await suite.t.request('GET', `/api/guilds/${id}`)).json.guildName).toBe(guildName)
				const listed = await suite.t.request('GET', `/api/guilds?limit=1&offset=0`)
				expect(listed.status).toBe(200)
			}
			const id = freshId()
			await create({ guildId: id, guildName: 'plain' })
			const renamed = await suite.t.request('PATCH', `/api/guilds/${id}`, {
				body: { guildName: '🎉'.repeat(100), syncLabel: '🏷️ label', prefix: '🤖' },
			})
			expect(renamed.status).toBe(200)
			expect(renamed.json).toMatchObject({ guildName: '🎉'.repeat(100), syncLabel: '🏷️ label', prefix: '🤖' })
			const category = '📚'.repeat(100)
			const forum = await suite.t.request('PUT', `/api/guilds/${id}/forum`, {
				body: {
					helpForum: true,
					helpForumCategory: category,
					helpThreadAutoClose: false,
					helpThreadAutoCloseDays: null,
					helpThreadNotify: false,
					helpThreadNotifyRoles: [],
					helpThreadNotifyDays: null,
					helpThreadSync: false,
					showcaseForum: false,
					showcaseForumCategory: null,
					showcaseThreadAutoClose: false,
					showcaseThreadAutoCloseDays: null,
				},
			})
			expect(forum.status).toBe(200)
			expect((await suite.t.request('GET', `/api/guilds/${id}/forum`)).json.helpForumCategory).toBe(category)
		})

		test('too long, empty, whitespace-only and lone-surrogate names are 422 naming the field', async () => {
			const bad = ['🚀'.repeat(101), 'x'.repeat(101), '', '   ', '\t\n', '\u3000\u00a0', 'a\ud800b', '\udc00']
			for (const guildName of bad) {
				const res = await create({ guildId: freshId(), guildName })
				expect({ guildName, status: res.status }).toEqual({ guildName, status: 422 })
				expect(res.json.error.message).toBe('body.guildName: must be 1–100 Unicode code points, not only whitespace')
			}
			// A lone surrogate sent as a JSON escape, as a client would.
			const raw = await suite.t.request('POST', '/api/guilds', {
				body: `{"guildId":"${freshId()}","guildName":"broken \\ud83d"}`,
			})
			expect(raw.status).toBe(422)
			expect(raw.json.error.message).toStartWith('body.guildName: ')
			const patch = await suite.t.request('PATCH', `/api/guilds/${BIG}`, { body: { guildName: ' ' } })
			expect(patch.status).toBe(422)
			expect(patch.json.error.message).toStartWith('body.guildName: ')
		})

		test('limit and offset are plain decimal integers; errors name query.limit / query.offset', async () => {
			for (const [query, field] of [
				['limit=0', 'query.limit'],
				['limit=101', 'query.limit'],
				['limit=0x10', 'query.limit'],
				['limit=1e1', 'query.limit'],
				['limit=%2010', 'query.limit'],
				['limit=', 'query.limit'],
				['limit=%2B5', 'query.limit'],
				['limit=-1', 'query.limit'],
				['limit=1.0', 'query.limit'],
				['limit=Infinity', 'query.limit'],
				['offset=1e1', 'query.offset'],
				['offset=0x1', 'query.offset'],
				['offset=-1', 'query.offset'],
				['offset=1000000001', 'query.offset'],
			] as const) {
				const res = await suite.t.request('GET', `/api/guilds?${query}`)
				expect({ query, status: res.status }).toEqual({ query, status: 422 })
				expect({ query, message: res.json.error.message.split(':')[0] }).toEqual({ query, message: field })
				expect(res.json.error.message).not.toContain('^[0-9]')
			}
			const page = await suite.t.request('GET', '/api/guilds?limit=2&offset=1')
			expect(page.json).toMatchObject({ limit: 2, offset: 1 })
			expect((await suite.t.request('GET', '/api/guilds?limit=007')).json.limit).toBe(7)
		})

		test('unknown query parameters are ignored on every route alike', async () => {
			const id = freshId()
			await create({ guildId: id, guildName: 'query' })
			for (const path of [
				'/api/guilds?_=1',
				'/api/guilds?limit=2&_=1&cache=no',
				`/api/guilds/${id}?_=1`,
				`/api/guilds/${id}/github?_=1`,
				`/api/guilds/${id}/sotags?_=1`,
				'/health?_=1',
				'/health/live?_=1',
			]) {
				const res = await suite.t.request('GET', path)
				expect({ path, status: res.status }).toEqual({ path, status: 200 })
			}
			expect((await suite.t.request('PATCH', `/api/guilds/${id}?_=1`, { body: { prefix: '?' } })).status).toBe(200)
		})

		test('a body over the limit is 413', async () => {
			const res = await suite.t.request('POST', '/api/guilds', {
				body: JSON.stringify({ guildId: freshId(), guildName: 'x', pad: 'x'.repeat(1024 * 1024) }),
			})
			expect(res.status).toBe(413)
			expect(res.json.error.code).toBe('PAYLOAD_TOO_LARGE')
		})
	})
}
