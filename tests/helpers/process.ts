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

async function collect(stream: ReadableStream<Uint8Array>, into: { text: string }) {
	const decoder = new TextDecoder()
	for await (const chunk of stream) into.text += decoder.decode(chunk, { stream: true })
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
	const out = { text: '' }
	const err = { text: '' }
	void collect(proc.stdout, out)
	void collect(proc.stderr, err)
	const url = `http://127.0.0.1:${port}`
	const lines = () => out.text.split('\n').filter(Boolean)
	const api: ApiProcess & { waitUntilLive(timeoutMs?: number): Promise<void> } = {
		url,
		port,
		proc,
		lines,
		stderr: () => err.text,
		logs: () => lines().map((l) => JSON.parse(l)),
		async waitForLine(predicate, timeoutMs = 10_000) {
			const deadline = Date.now() + timeoutMs
			while (Date.now() < deadline) {
				const found = lines()
					.flatMap((l) => {
						try {
							return [JSON.parse(l)]
						} catch {
							return []
						}
					})
					.find(predicate)
				if (found) return found
				await Bun.sleep(25)
			}
			throw new Error(`no matching log line within ${timeoutMs} ms; stdout:\n${out.text}\nstderr:\n${err.text}`)
		},
		async stop(signal = 'SIGTERM') {
			if (proc.exitCode === null) proc.kill(signal)
			return proc.exited
		},
		async waitUntilLive(timeoutMs = 20_000) {
			const deadline = Date.now() + timeoutMs
			while (Date.now() < deadline) {
				if (proc.exitCode !== null) throw new Error(`API exited with ${proc.exitCode}:\n${out.text}\n${err.text}`)
				try {
					if ((await fetch(`${url}/health/live`)).ok) return
				} catch {
					// not listening yet
				}
				await Bun.sleep(50)
			}
			proc.kill('SIGKILL')
			throw new Error(`API did not start within the timeout:\n${out.text}\n${err.text}`)
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
