/** Runs the real API entrypoint (`bun src/index.ts`) as a child process for tests. */
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'

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

/** What a stream has said so far; `changed` resolves at its next chunk or its end. */
interface Collected {
	text: string
	ended: boolean
	changed: Promise<void>
}

function collect(stream: ReadableStream<Uint8Array>): Collected {
	let notify = () => {}
	const into: Collected = { text: '', ended: false, changed: new Promise((resolve) => (notify = resolve)) }
	const next = () => {
		const done = notify
		into.changed = new Promise((resolve) => (notify = resolve))
		done()
	}
	void (async () => {
		const decoder = new TextDecoder()
		try {
			for await (const chunk of stream) {
				into.text += decoder.decode(chunk, { stream: true })
				next()
			}
		} finally {
			into.ended = true
			next()
		}
	})()
	return into
}

/**
 * Resolves with the first JSON line of `out` that `predicate` accepts, checking each time
 * the stream delivers more; rejects after `timeoutMs` or when the stream ends without one.
 */
async function waitForJsonLine(
	out: Collected,
	predicate: (line: Record<string, any>) => boolean,
	timeoutMs: number,
	describe: () => string,
): Promise<Record<string, any>> {
	const deadline = Date.now() + timeoutMs
	for (;;) {
		for (const line of out.text.split('\n')) {
			try {
				const parsed = JSON.parse(line)
				if (parsed && typeof parsed === 'object' && predicate(parsed)) return parsed
			} catch {
				// not a JSON line (yet)
			}
		}
		const left = deadline - Date.now()
		if (out.ended || left <= 0) throw new Error(`no matching log line within ${timeoutMs} ms; ${describe()}`)
		let timer: Timer | undefined
		await Promise.race([out.changed, new Promise<void>((resolve) => (timer = setTimeout(resolve, left)))])
		clearTimeout(timer)
	}
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
			return waitForJsonLine(out, predicate, timeoutMs, () => `stdout:\n${out.text}\nstderr:\n${err.text}`)
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
