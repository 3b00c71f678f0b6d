/** Runs the real API entrypoint (`bun src/index.ts`) as a child process for tests. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import { collect, jsonLines, waitForChange } from './output'

const ROOT = join(import.meta.dir, '..', '..')

export function tempDir(prefix = 'byte-test-'): string {
	return mkdtempSync(join(tmpdir(), prefix))
}

export async function freePort(): Promise<number> {
	const server = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
	const port = server.port as number
	await server.stop(true)
	return port
}

export interface ApiProcess {
	url: string
	port: number
	proc: Subprocess<'ignore', 'pipe', 'pipe'>
	/** Everything written to stdout so far, split into lines. */
	lines(): string[]
	stderr(): string
	/** Parsed JSON log lines (throws if a stdout line is not JSON). */
	logs(): Record<string, any>[]
	waitForLine(predicate: (line: Record<string, any>) => boolean, timeoutMs?: number): Promise<Record<string, any>>
	stop(signal?: NodeJS.Signals): Promise<number>
}

/** Starts the API and resolves once it answers /health/live. */
export async function startApi(env: Record<string, string>, options: { port?: number; timeoutMs?: number } = {}) {
	const api = await spawnApi(env, options)
	await api.waitUntilLive(options.timeoutMs ?? 20_000)
	return api
}

/**
 * Spawns the API without waiting for it (e.g. to watch it retry while its database is down);
 * `waitUntilLive` then waits for /health/live and kills the process if it never answers.
 */
export async function spawnApi(env: Record<string, string>, options: { port?: number } = {}) {
	const port = options.port ?? (await freePort())
	const proc = Bun.spawn(['bun', 'src/index.ts'], {
		cwd: ROOT,
		env: { ...process.env, LOG_FORMAT: 'json', HOST: '127.0.0.1', PORT: String(port), ...env },
		stdin: 'ignore',
		stdout: 'pipe',
		stderr: 'pipe',
	})
	const out = collect(proc.stdout)
	const err = collect(proc.stderr)
	const url = `http://127.0.0.1:${port}`
	const lines = () => out.text.split('\n').filter(Boolean)
	const api: ApiProcess & { waitUntilLive(timeoutMs?: number): Promise<void> } = {
		url,
		port,
		proc,
		lines,
		stderr: () => err.text,
		logs: () => lines().map((l) => JSON.parse(l)),
		waitForLine(predicate, timeoutMs = 10_000) {
			return waitForChange(
				out.changes,
				() => jsonLines(out.text).find(predicate),
				timeoutMs,
				() => `no matching log line within ${timeoutMs} ms; stdout:\n${out.text}\nstderr:\n${err.text}`,
				() => out.ended,
			)
		},
		async stop(signal = 'SIGTERM') {
			if (proc.exitCode === null) proc.kill(signal)
			return proc.exited
		},
		/** Waits for the `API listening` line, then checks that /health/live answers. */
		async waitUntilLive(timeoutMs = 20_000) {
			try {
				await api.waitForLine((l) => l.event === 'API listening', timeoutMs)
				const live = await fetch(`${url}/health/live`)
				if (!live.ok) throw new Error(`/health/live answered ${live.status}`)
			} catch (error) {
				proc.kill('SIGKILL')
				const code = await proc.exited
				throw new Error(`API did not start (exit code ${code}): ${(error as Error).message}`)
			}
		},
	}
	return api
}

/** Runs the entrypoint to completion (for start-up failures) and returns its output. */
export async function runApiOnce(env: Record<string, string>) {
	const proc = Bun.spawn(['bun', 'src/index.ts'], {
		cwd: ROOT,
		env: { ...process.env, LOG_FORMAT: 'json', PORT: '0', ...env },
		stdout: 'pipe',
		stderr: 'pipe',
	})
	const [stdout, stderr, code] = await Promise.all([
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
		proc.exited,
	])
	return { stdout, stderr, code }
}
