/**
 * Real Discord names reach the API intact: guilds named with 100 emoji, other scripts and
 * combining marks are registered by the real bot handlers (discord.js on the fake Discord)
 * at start-up and on guildCreate, and the API stores exactly those names.
 */
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { type FakeDiscord, snowflake, startFakeDiscord } from '../fakes/discord'
import { createTestApp, type TestApp } from '../helpers/app'
import { type InProcessBot, startInProcessBot } from './harness'

let app: TestApp
let apiServer: ReturnType<typeof Bun.serve>
let fake: FakeDiscord | undefined
let bot: InProcessBot | undefined

beforeAll(async () => {
	app = await createTestApp({ level: 'info' })
	apiServer = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: (request) => app.app.handle(request) })
}, 30_000)
afterAll(async () => {
	await bot?.stop()
	await fake?.stop()
	apiServer.stop(true)
	await app.close()
})

describe('guild names as Discord allows them', () => {
	test('100 emoji, other scripts and combining marks: registered at ready and on guildCreate, stored exactly', async () => {
		const atReady = [
			{ id: snowflake(), name: '🚀'.repeat(100) },
			{ id: snowflake(), name: '日本語のサーバー · Ελληνικά · العربية' },
			{ id: snowflake(), name: 'Cafe\u0301 Zalgo z\u0351\u0358a\u0352l\u0357g\u035bo' },
		]
		fake = startFakeDiscord({ token: 'fake', guilds: atReady, heartbeatIntervalMs: 500 })
		bot = await startInProcessBot({ fake, apiUrl: `http://127.0.0.1:${apiServer.port}` })
		const reconciled = await bot.waitForLog((l) => l.event === 'Guilds reconciled')
		expect(reconciled).toMatchObject({ created: 3, failed: 0 })
		for (const guild of atReady)
			expect((await app.request('GET', `/api/guilds/${guild.id}`)).json.guildName).toBe(guild.name)

		const joined = { id: snowflake(), name: '🎉'.repeat(99) + '👍🏽'.slice(0, 2) }
		fake.addGuild(joined)
		await bot.waitForLog((l) => l.event === 'Guild registered' && l.guild_id === joined.id)
		expect((await app.request('GET', `/api/guilds/${joined.id}`)).json.guildName).toBe(joined.name)
		expect(bot.logs().filter((l) => l.level === 'error')).toEqual([])
	}, 30_000)
})
