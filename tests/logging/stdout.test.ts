import { describe, expect, test } from 'bun:test'
import { join } from 'node:path'

const CHILD = join(import.meta.dir, 'fixtures', 'stdout-child.ts')

async function run(cmd: string[]) {
	const proc = Bun.spawn(cmd, { stdout: 'pipe', stderr: 'pipe', env: { ...process.env, NO_COLOR: '' } })
	const [stdout, stderr, exitCode] = await Promise.all([
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
		proc.exited,
	])
	return { stdout, stderr, exitCode }
}

function parseLines(stdout: string): Record<string, unknown>[] {
	expect(stdout.endsWith('\n')).toBe(true)
	return stdout
		.slice(0, -1)
		.split('\n')
		.map((line) => JSON.parse(line) as Record<string, unknown>)
}

describe('default sink: a real process writing to stdout', () => {
	test('every level goes to stdout as JSON, one object per line; stderr stays empty', async () => {
		const { stdout, stderr, exitCode } = await run([process.execPath, CHILD, 'levels'])
		expect(stderr).toBe('')
		expect(exitCode).toBe(0)
		const records = parseLines(stdout)
		expect(records.map((r) => [r.level, r.event])).toEqual([
			['info', 'Starting'],
			['debug', 'trace line'],
			['debug', 'debug line'],
			['info', 'info line'],
			['warning', 'warning line'],
			['error', 'error line'],
			['critical', 'critical line'],
		])
		expect(records[0]).toMatchObject({ logger: 'test.child' })
		for (const r of records.slice(1)) expect(r).toMatchObject({ logger: 'bot.client', correlation_id: 'child-req-1' })
		expect(records[5]?.error).toMatchObject({ name: 'Error', message: 'db down', cause: { message: 'ECONNREFUSED' } })
		expect(records[6]?.hostile).toBe('a\nb\x1b[31m')
	})

	test('flushLogs before process.exit delivers every line even to a slow reader', async () => {
		const lines = 20_000 // ~5 MB: far more than a pipe buffer holds
		const { stdout, stderr } = await run([
			'sh',
			'-c',
			`"${process.execPath}" "${CHILD}" burst ${lines} | (sleep 0.3; cat)`,
		])
		expect(stderr).toBe('')
		const records = parseLines(stdout)
		expect(records).toHaveLength(lines)
		expect(records.at(-1)).toMatchObject({ event: 'burst line', i: lines - 1 })
	})

	test('lines are batched per event-loop turn, in order, and process.exit() still writes the last batch', async () => {
		const { stdout, exitCode } = await run([process.execPath, CHILD, 'exit'])
		expect(exitCode).toBe(4)
		const records = parseLines(stdout)
		expect(records.map((r) => (r.event === 'turn line' ? `${r.turn}.${r.i}` : r.event))).toEqual([
			...[0, 1, 2].flatMap((turn) => [0, 1, 2, 3, 4].map((i) => `${turn}.${i}`)),
			'last line',
		])
	})

	test('a line written just before an uncaught exception is not lost', async () => {
		const { stdout, stderr, exitCode } = await run([process.execPath, CHILD, 'throw'])
		expect(exitCode).not.toBe(0)
		expect(stderr).toContain('crash')
		expect(parseLines(stdout)).toEqual([expect.objectContaining({ event: 'before the crash' })])
	})
})
