/**
 * Cold start: `bun src/index.ts` with `DATABASE_URL=memory://`, from spawn to the first
 * answered GET /health/live (polled every 10 ms), on the server core. The first run uses an
 * empty cache directory, so it runs initdb and leaves the snapshot of a fresh cluster that
 * later starts load (src/db/pglite-memory.ts); the others start from that snapshot, as every
 * start after the first on a machine does.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import type { Machine } from './lib/machine'
import { freePort, ROOT, scratchDir } from './lib/server'
import { median } from './lib/stats'

export interface ColdStartResult {
	/** The first start on a machine (empty cache: initdb, then the snapshot is written). */
	firstMs: number
	/** Every later start (snapshot present). */
	laterMs: number[]
	laterMedianMs: number
}

async function startOnce(machine: Machine, cacheHome: string): Promise<number> {
	const port = await freePort()
	const started = performance.now()
	const proc = Bun.spawn([...(machine.pinning?.server ?? []), 'bun', 'src/index.ts'], {
		cwd: ROOT,
		env: {
			...process.env,
			DATABASE_URL: 'memory://',
			HOST: '127.0.0.1',
			PORT: String(port),
			LOG_FORMAT: 'json',
			LOG_LEVEL: 'info',
			XDG_CACHE_HOME: cacheHome,
		},
		stdin: 'ignore',
		stdout: 'ignore',
		stderr: 'ignore',
	})
	try {
		for (;;) {
			if (proc.exitCode !== null) throw new Error(`bun src/index.ts exited with ${proc.exitCode}`)
			try {
				const res = await fetch(`http://127.0.0.1:${port}/health/live`)
				if (res.ok) return performance.now() - started
			} catch {
				// not listening yet
			}
			if (performance.now() - started > 60_000) throw new Error('no answer within 60 s')
			await Bun.sleep(10)
		}
	} finally {
		proc.kill('SIGKILL')
		await proc.exited
	}
}

export async function runColdStart(
	machine: Machine,
	starts: number,
	log: (line: string) => void,
): Promise<ColdStartResult> {
	const cacheHome = mkdtempSync(join(scratchDir, 'cache-'))
	try {
		const firstMs = await startOnce(machine, cacheHome)
		log(`    first start (empty cache, initdb): ${firstMs.toFixed(0)} ms`)
		const laterMs: number[] = []
		for (let i = 0; i < starts; i++) laterMs.push(await startOnce(machine, cacheHome))
		log(`    later starts: ${laterMs.map((ms) => ms.toFixed(0)).join(', ')} ms`)
		return { firstMs, laterMs, laterMedianMs: median(laterMs) }
	} finally {
		rmSync(cacheHome, { recursive: true, force: true })
	}
}
