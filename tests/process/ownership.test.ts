/**
 * One owner per on-disk PGlite directory and per port (README "Database", "Reliability and
 * security"): the replay of two API processes started on one directory and one port, a
 * holder killed with SIGKILL, and nothing written lost across restarts.
 */
import { afterAll, describe, expect, test } from 'bun:test'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { type ApiProcess, freePort, runApiOnce, spawnApi, startApi, tempDir } from '../helpers/process'

const started: ApiProcess[] = []
const dirs: string[] = []
afterAll(async () => {
	for (const api of started) await api.stop('SIGKILL')
	for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

function dataDir(): string {
	const dir = tempDir('byte-owner-')
	dirs.push(dir)
	return join(dir, 'pglite')
}

async function createGuilds(url: string, ids: string[]) {
	const statuses = await Promise.all(
		ids.map(async (guildId) => {
			const res = await fetch(`${url}/api/guilds`, {
				method: 'POST',
				headers: { 'content-type': 'application/json' },
				body: JSON.stringify({ guildId, guildName: `guild ${guildId}` }),
			})
			return res.status
		}),
	)
	return statuses
}

async function listIds(url: string): Promise<string[]> {
	const res = await fetch(`${url}/api/guilds?limit=100`)
	const body = (await res.json()) as { items: { guildId: string }[] }
	return body.items.map((g) => g.guildId).sort()
}

const ids = Array.from({ length: 20 }, (_, i) => String(1_000_000_000_000_000n + BigInt(i)))

/** The one stdout line of a process that refused to start. */
async function refusal(api: ApiProcess): Promise<Record<string, any>> {
	expect(await api.proc.exited).toBe(1)
	// The exit comes after the last write; the reader may still be a chunk behind.
	const line = await api.waitForLine((l) => l.level === 'critical', 5000)
	expect(api.lines()).toHaveLength(1)
	return line
}

describe('one owner per data directory', () => {
	test('two processes started at the same instant on one directory and port: exactly one serves, 20 creates survive a restart', async () => {
		const path = dataDir()
		const port = await freePort()
		const env = { DATABASE_URL: path }
		const [a, b] = await Promise.all([spawnApi(env, { port }), spawnApi(env, { port })])
		started.push(a, b)
		const outcomes = await Promise.allSettled([a.waitUntilLive(30_000), b.waitUntilLive(30_000)])
		const winners = [a, b].filter((_, i) => outcomes[i]!.status === 'fulfilled')
		const losers = [a, b].filter((_, i) => outcomes[i]!.status === 'rejected')
		expect(winners).toHaveLength(1)
		expect(losers).toHaveLength(1)
		const winner = winners[0]!
		const line = await refusal(losers[0]!)
		expect(line.event).toContain('DATABASE_URL')
		expect(line.event).toContain(path)
		expect(line.event).toContain(`PID ${winner.proc.pid}`)
		expect(line).toMatchObject({ variable: 'DATABASE_URL', path, holder_pid: winner.proc.pid })

		expect(await createGuilds(winner.url, ids)).toEqual(ids.map(() => 201))
		expect(await createGuilds(winner.url, ids.slice(0, 1))).toEqual([409])
		expect(await winner.stop('SIGTERM')).toBe(0)

		const again = await startApi(env, { port })
		started.push(again)
		expect(await listIds(again.url)).toEqual(ids)
		expect(await again.stop('SIGTERM')).toBe(0)
	}, 90_000)

	test('a lock left by a process killed with SIGKILL is taken over, and its committed writes are there', async () => {
		const path = dataDir()
		const first = await startApi({ DATABASE_URL: path })
		started.push(first)
		expect(await createGuilds(first.url, ids.slice(0, 5))).toEqual([201, 201, 201, 201, 201])
		// While it lives, the directory is refused; `db:migrate` opens it the same way.
		const blocked = await runApiOnce({ DATABASE_URL: `file://${path}` })
		expect(blocked.code).toBe(1)
		expect(blocked.stdout.trim().split('\n')).toHaveLength(1)
		expect(blocked.stdout).toContain(`DATABASE_URL: ${path} is in use by another process (PID ${first.proc.pid})`)

		first.proc.kill('SIGKILL')
		await first.proc.exited
		const second = await startApi({ DATABASE_URL: path })
		started.push(second)
		expect(await listIds(second.url)).toEqual(ids.slice(0, 5))
		expect(await second.stop('SIGTERM')).toBe(0)
	}, 90_000)
})

describe('one owner per port', () => {
	test('a port another process listens on stops start-up with one line naming PORT and the address', async () => {
		// The holder even allows sharing (SO_REUSEPORT, as Elysia asks for by default): the API must not take it up.
		const holder = Bun.serve({ hostname: '127.0.0.1', port: 0, reusePort: true, fetch: () => new Response('other') })
		try {
			const port = holder.port as number
			const api = await spawnApi({ DATABASE_URL: 'memory://' }, { port })
			started.push(api)
			const line = await refusal(api)
			expect(line.event).toStartWith(`PORT: 127.0.0.1:${port} is already in use`)
			expect(line).toMatchObject({ variable: 'PORT', address: `127.0.0.1:${port}` })
			expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('other')
		} finally {
			await holder.stop(true)
		}
	}, 60_000)
})
