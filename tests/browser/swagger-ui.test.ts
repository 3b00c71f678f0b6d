/**
 * The Swagger UI as a person uses it, in headless Chromium (Debian's `chromium`, driven by
 * playwright-core; no browser is downloaded): against the real API process with API_TOKEN
 * set, open /swagger, Authorize with the token, "Try it out" on POST /api/guilds, Execute,
 * see 201, then read the guild back through GET /api/guilds/{guildId}.
 *
 * Without Chromium the test is skipped, except under CI=true, where it fails.
 * `SWAGGER_SCREENSHOT=docs/swagger-ui.png bun test tests/browser` also saves the page.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, rmSync } from 'node:fs'
import { type BrowserContext, chromium, type Locator, type Page } from 'playwright-core'
import { type ApiProcess, startApi, tempDir } from '../helpers/process'

const CHROMIUM = '/usr/bin/chromium'
const present = existsSync(CHROMIUM)
if (!present && process.env.CI === 'true')
	test('Chromium is installed (Debian package "chromium")', () => {
		throw new Error(`${CHROMIUM} not found; CI=true requires it (.ci/run installs it)`)
	})
else if (!present) console.warn(`skipping the Swagger UI test: ${CHROMIUM} not found (apt-get install chromium)`)

const TOKEN = 'swagger-ui-test-token'
const GUILD_ID = '1190000000000000042'
const GUILD_NAME = 'Swagger 🚀 café Ελληνικά'

let api: ApiProcess | undefined
let context: BrowserContext | undefined
let userDataDir: string | undefined
afterAll(async () => {
	await context?.close()
	await api?.stop('SIGKILL')
	if (userDataDir) rmSync(userDataDir, { recursive: true, force: true })
})

/** The expanded operation block whose id Swagger UI derives from tag and operationId. */
async function openOperation(page: Page, operationId: string): Promise<Locator> {
	const block = page.locator(`#operations-Guilds-${operationId}`)
	await block.locator('.opblock-summary').first().click()
	await block.getByRole('button', { name: 'Try it out' }).click()
	return block
}

async function execute(block: Locator): Promise<{ status: string; body: string }> {
	await block.getByRole('button', { name: 'Execute' }).click()
	const status = block.locator('.live-responses-table .response .response-col_status').first()
	await status.waitFor({ timeout: 15_000 })
	const body = block.locator('.live-responses-table .response-col_description pre').first()
	return { status: (await status.innerText()).trim(), body: await body.innerText() }
}

describe.skipIf(!present)('Swagger UI in headless Chromium', () => {
	test('Authorize, create a guild with "Try it out", read it back', async () => {
		api = await startApi({ DATABASE_URL: 'memory://', API_TOKEN: TOKEN })
		userDataDir = tempDir('byte-chromium-')
		context = await chromium.launchPersistentContext(userDataDir, {
			executablePath: CHROMIUM,
			headless: true,
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
				'--no-first-run',
			],
			viewport: { width: 1280, height: 1400 },
		})
		const page = context.pages()[0] ?? (await context.newPage())
		const requests: string[] = []
		page.on('request', (request) => requests.push(request.url()))

		await page.goto(`${api.url}/swagger`)
		await page.locator('.swagger-ui .info .title').filter({ hasText: 'Byte API' }).waitFor()

		// Without the token the API refuses: the UI must really send it.
		expect((await fetch(`${api.url}/api/guilds`)).status).toBe(401)

		await page.locator('.auth-wrapper button.authorize').click()
		const dialog = page.locator('.dialog-ux')
		await dialog.locator('input[aria-label="auth-bearer-value"]').fill(TOKEN)
		await dialog.getByRole('button', { name: 'Apply credentials' }).click()
		await dialog.getByRole('button', { name: 'Remove authorization' }).waitFor()
		await dialog.locator('button.btn-done').click()

		const post = await openOperation(page, 'postApiGuilds')
		const editor = post.locator('textarea.body-param__text')
		// The body editor starts from the schema's example: proof the document describes the body.
		expect(await editor.inputValue()).toContain('"guildName"')
		await editor.fill(JSON.stringify({ guildId: GUILD_ID, guildName: GUILD_NAME }, null, 2))
		const created = await execute(post)
		expect(created.status).toBe('201')
		expect(JSON.parse(created.body)).toMatchObject({ guildId: GUILD_ID, guildName: GUILD_NAME, prefix: '!' })

		const get = await openOperation(page, 'getApiGuildsByGuildId')
		await get.locator('input[placeholder="guildId"]').fill(GUILD_ID)
		const read = await execute(get)
		expect(read.status).toBe('200')
		expect(JSON.parse(read.body)).toMatchObject({ guildId: GUILD_ID, guildName: GUILD_NAME })

		// The guild is really stored, and the page loaded nothing from outside this API.
		const stored = await fetch(`${api.url}/api/guilds/${GUILD_ID}`, { headers: { authorization: `Bearer ${TOKEN}` } })
		expect(((await stored.json()) as { guildName: string }).guildName).toBe(GUILD_NAME)
		expect(requests.length).toBeGreaterThan(3)
		for (const url of requests) expect(url).toStartWith(api.url)

		const screenshot = process.env.SWAGGER_SCREENSHOT
		if (screenshot) {
			// The authorised POST: its body, Execute, and the 201 the server sent.
			await post
				.locator('.opblock-summary')
				.first()
				.evaluate((el) => el.scrollIntoView({ block: 'start' }))
			await page.screenshot({ path: screenshot })
		}
	}, 60_000)
})
