/** What the results were measured on, and whether server and load generator get a core each. */
import { cpus } from 'node:os'
import { readFileSync } from 'node:fs'
import pkg from '../../package.json'

export interface Machine {
	cpu: string
	cores: number
	memoryGb: number
	kernel: string
	bun: string
	elysia: string
	date: string
	/** `taskset -c <core>` prefixes, or undefined when pinning is not possible. */
	pinning: { server: string[]; load: string[] } | undefined
	/** Why pinning is off, when it is. */
	pinningNote: string
}

function cpuModel(): string {
	try {
		const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))
		if (match?.[1]) return match[1].trim()
	} catch {
		// not Linux
	}
	return cpus()[0]?.model ?? 'unknown'
}

function onlineCores(): number[] {
	// The cores this process may run on (a container can be limited to fewer than the host has).
	const result = Bun.spawnSync(['taskset', '-cp', String(process.pid)], { stdout: 'pipe', stderr: 'pipe' })
	if (result.exitCode !== 0) return []
	const list = /:\s*([\d,-]+)\s*$/.exec(result.stdout.toString())?.[1] ?? ''
	const cores: number[] = []
	for (const part of list.split(',')) {
		const [from, to] = part.split('-').map(Number)
		if (from === undefined || Number.isNaN(from)) continue
		for (let c = from; c <= (to ?? from); c++) cores.push(c)
	}
	return cores
}

export function describeMachine(): Machine {
	const elysia = (require('elysia/package.json') as { version: string }).version
	const cores = cpus().length
	let pinning: Machine['pinning']
	let pinningNote: string
	if (!Bun.which('taskset')) {
		pinningNote = 'taskset (util-linux) not found: server and load generator share all cores'
	} else {
		const allowed = onlineCores()
		if (allowed.length >= 2) {
			const [server, load] = allowed as [number, number]
			pinning = { server: ['taskset', '-c', String(server)], load: ['taskset', '-c', String(load)] }
			pinningNote =
				`server pinned to core ${server}, load generator (wrk) to core ${load}` +
				(allowed.length > 2 ? ` (${allowed.length - 2} more cores left idle)` : '')
		} else {
			pinningNote = `only ${allowed.length} core available: server and load generator share it`
		}
	}
	let kernel = 'unknown'
	try {
		kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
	} catch {
		// not Linux
	}
	return {
		cpu: cpuModel(),
		cores,
		memoryGb: Math.round(require('node:os').totalmem() / 2 ** 30),
		kernel,
		bun: Bun.version,
		elysia,
		date: new Date().toISOString(),
		pinning,
		pinningNote,
	}
}

export const PROJECT_VERSION: string = pkg.version
