/**
 * Real processes for end-to-end tests: spawn with a given environment, collect stdout as
 * JSON log lines while it runs, wait for a line or a condition, and stop with SIGTERM
 * (SIGKILL if it does not exit in time).
 */
import type { Subprocess } from 'bun'
import { collect, waitForChange } from '../helpers/output'

export type LogLine = Record<string, any> & { level: string; logger: string; event: string; correlation_id?: string }

const ROOT = new URL('../../', import.meta.url).pathname

export interface RunningProcess {
	proc: Subprocess<'ignore', 'pipe', 'pipe'>
	/** Resolves with the exit code once the process exited and all of its output was read. */
	finished: Promise<number>
	/** Every stdout line parsed as JSON (non-JSON lines are kept as `{ event: <text> }`). */
	lines(): LogLine[]
	/** Raw stdout text so far (for failure messages). */
	output(): string
	waitForLine(predicate: (line: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>
	stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>
}

export function spawnLogged(cmd: string[], env: Record<string, string>): RunningProcess {
	const proc = Bun.spawn(cmd, {
		cwd: ROOT,
		env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
		stdin: 'ignore',
		stdout: 'pipe',
		stderr: 'pipe',
	})
	const out = collect(proc.stdout)
	const err = collect(proc.stderr)
	const finished = Promise.all([proc.exited, out.done, err.done]).then(([code]) => code)

	const lines = (): LogLine[] =>
		out.text
			.split('\n')
			.filter((line) => line.trim() !== '')
			.map((line) => {
				try {
					return JSON.parse(line) as LogLine
				} catch {
					return { level: 'raw', logger: 'stdout', event: line }
				}
			})

	return {
		proc,
		finished,
		lines,
		output: () => out.text + (err.text ? `\n[stderr]\n${err.text}` : ''),
		waitForLine(predicate, timeoutMs = 10_000, what = 'a log line') {
			const command = cmd.join(' ')
			return waitForChange(
				out.changes,
				() => lines().find(predicate),
				timeoutMs,
				() =>
					out.ended
						? `${command} exited (${proc.exitCode}) before ${what}:\n${this.output()}`
						: `Timed out waiting for ${what} from ${command}:\n${this.output()}`,
				() => out.ended,
			)
		},
		async stop(signal = 'SIGTERM', timeoutMs = 5_000) {
			if (proc.exitCode !== null) return proc.exitCode
			proc.kill(signal)
			const exited = await Promise.race([proc.exited, Bun.sleep(timeoutMs).then(() => undefined)])
			if (exited !== undefined) return exited
			proc.kill('SIGKILL')
			return proc.exited
		},
	}
}

/** A TCP port that was free a moment ago (bound to 0, then released). */
export function freePort(): number {
	const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
	const port = server.port!
	server.stop(true)
	return port
}

/** Polls `probe` every 50 ms until it resolves to a value that is not undefined/false. */
export async function eventually<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string) {
	const deadline = Date.now() + timeoutMs
	for (;;) {
		const value = await probe().catch(() => undefined)
		if (value !== undefined && value !== false) return value
		if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)
		await Bun.sleep(50)
	}
}
