/** Runs one HTTP server under test as a child process, pinned to the server core. */
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, truncateSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Subprocess } from 'bun'
import type { Machine } from './machine'
import { sleep } from './stats'

export const ROOT = join(import.meta.dir, '..', '..')
export const scratchDir = mkdtempSync(join(tmpdir(), 'byte-bench-'))
const children = new Set<Subprocess>()
// Servers must not outlive the bench, whatever way it ends.
process.on('exit', () => {
	for (const child of children) child.kill('SIGKILL')
	rmSync(scratchDir, { recursive: true, force: true })
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130))

// USER_HZ: 100 on every Linux architecture Bun supports.
const CLOCK_TICKS = 100

export async function freePort(): Promise<number> {
	const probe = Bun.serve({ port: 0, hostname: '127.0.0.1', fetch: () => new Response() })
	const port = probe.port as number
	await probe.stop(true)
	return port
}

export interface ServerSpec {
	/** Label used for files and messages. */
	name: string
	/** Command after `bun` (e.g. `['bench/servers/bare.ts']`). */
	args: string[]
	env?: Record<string, string>
	/** Path that answers once the server is up (any status). */
	readyPath?: string
	timeoutMs?: number
}

export interface RunningServer {
	name: string
	url: string
	pid: number
	/** File receiving the server's stdout (the log lines). */
	stdoutPath: string
	/** Empties the stdout file, so a long run does not fill the disk. */
	truncateStdout(): void
	stdoutLines(): number
	rssBytes(): number
	/** User + system CPU seconds the server has used so far (all its threads). */
	cpuSeconds(): number
	stop(): Promise<void>
}

export async function startServer(machine: Machine, spec: ServerSpec): Promise<RunningServer> {
	const port = await freePort()
	const stdoutPath = join(scratchDir, `${spec.name.replace(/[^\w.-]+/g, '_')}-${port}.out`)
	const stderrPath = `${stdoutPath}.err`
	// O_APPEND, so truncating between runs really empties the file instead of leaving a hole.
	const out = openSync(stdoutPath, 'a')
	const err = openSync(stderrPath, 'a')
	const proc: Subprocess = Bun.spawn([...(machine.pinning?.server ?? []), 'bun', ...spec.args], {
		cwd: ROOT,
		env: {
			...process.env,
			NODE_ENV: 'production',
			HOST: '127.0.0.1',
			PORT: String(port),
			LOG_FORMAT: 'json',
			LOG_LEVEL: 'info',
			...spec.env,
		},
		stdin: 'ignore',
		stdout: out,
		stderr: err,
	})
	children.add(proc)
	void proc.exited.then(() => children.delete(proc))
	closeSync(out)
	closeSync(err)
	const url = `http://127.0.0.1:${port}`
	const deadline = Date.now() + (spec.timeoutMs ?? 60_000)
	for (;;) {
		if (proc.exitCode !== null) {
			throw new Error(
				`${spec.name} exited with ${proc.exitCode}:\n${readFileSync(stderrPath, 'utf8')}${readFileSync(stdoutPath, 'utf8').slice(-2000)}`,
			)
		}
		try {
			await fetch(url + (spec.readyPath ?? '/health/live'))
			break
		} catch {
			if (Date.now() > deadline) {
				proc.kill('SIGKILL')
				throw new Error(`${spec.name} did not start within the timeout:\n${readFileSync(stderrPath, 'utf8')}`)
			}
			await sleep(50)
		}
	}
	return {
		name: spec.name,
		url,
		pid: proc.pid,
		stdoutPath,
		truncateStdout: () => truncateSync(stdoutPath, 0),
		stdoutLines() {
			const bytes = readFileSync(stdoutPath)
			let lines = 0
			for (let i = bytes.indexOf(10); i !== -1; i = bytes.indexOf(10, i + 1)) lines++
			return lines
		},
		rssBytes() {
			const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8')
			const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]
			return kb === undefined ? Number.NaN : Number(kb) * 1024
		},
		cpuSeconds() {
			// Fields 14 and 15 of /proc/<pid>/stat, after the parenthesised command name.
			const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8')
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
			return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS
		},
		async stop() {
			if (proc.exitCode !== null) return
			proc.kill('SIGTERM')
			const exited = await Promise.race([proc.exited.then(() => true), sleep(5000).then(() => false)])
			if (!exited) proc.kill('SIGKILL')
			await proc.exited
		},
	}
}
