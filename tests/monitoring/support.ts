/**
 * Shared parts of the monitoring tests: locating external tools (promtool, prometheus,
 * docker-compose), temporary directories, free ports, and a real Prometheus server
 * started for one test file.
 */
import { test } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'

export const ROOT = resolve(import.meta.dir, '../..')

/**
 * Timeout for tests and hooks that start processes or poll Prometheus. Passed explicitly:
 * Bun applies a preloaded setDefaultTimeout to the first test file of a run only.
 */
export const SLOW = 30_000
export const repoPath = (...parts: string[]) => join(ROOT, ...parts)

/**
 * Looks up external tools on PATH. When one is missing, the returned `test` is
 * `test.skip` and a message names what is missing; under CI (`CI=true`) a failing test
 * is registered instead, so a CI machine without the tools cannot pass silently.
 */
export function requireTools<const T extends string>(...names: T[]): { test: typeof test; path: Record<T, string> } {
	const path = {} as Record<T, string>
	const missing: string[] = []
	for (const name of names) {
		const found = Bun.which(name)
		if (found) path[name] = found
		else missing.push(name)
	}
	if (missing.length === 0) return { test, path }
	const message = `${missing.join(', ')} not found on PATH (Debian: apt-get install prometheus docker-compose)`
	if (process.env.CI === 'true') {
		test(`required tools are installed: ${names.join(', ')}`, () => {
			throw new Error(`${message}; CI=true requires them`)
		})
	} else {
		console.warn(`skipping monitoring tests that need ${missing.join(', ')}: ${message}`)
	}
	return { test: test.skip, path }
}

export function tempDir(prefix: string): { path: string; remove: () => void } {
	const path = mkdtempSync(join(tmpdir(), `byte-${prefix}-`))
	return { path, remove: () => rmSync(path, { recursive: true, force: true }) }
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): number {
	const listener = Bun.listen({ hostname: '127.0.0.1', port: 0, socket: { data() {} } })
	const { port } = listener
	listener.stop(true)
	return port
}

/** Runs a command to completion and returns its exit code and combined output. */
export async function run(cmd: string[], options: { cwd?: string; env?: Record<string, string | undefined> } = {}) {
	const child = Bun.spawn(cmd, {
		cwd: options.cwd ?? ROOT,
		env: options.env ?? process.env,
		stdout: 'pipe',
		stderr: 'pipe',
	})
	const [stdout, stderr, code] = await Promise.all([
		new Response(child.stdout).text(),
		new Response(child.stderr).text(),
		child.exited,
	])
	return { code, stdout, stderr, output: `${stdout}${stderr}` }
}

/** Polls `check` until it returns a value other than undefined/false, or fails with `what`. */
export async function waitFor<T>(
	what: string,
	check: () => Promise<T | undefined | false> | T | undefined | false,
	{ timeoutMs = 15_000, intervalMs = 250 } = {},
): Promise<T> {
	const deadline = Date.now() + timeoutMs
	let lastError: unknown
	for (;;) {
		try {
			const value = await check()
			if (value !== undefined && value !== false) return value
		} catch (error) {
			lastError = error
		}
		if (Date.now() > deadline) {
			throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`)
		}
		await Bun.sleep(intervalMs)
	}
}

export interface PromResponse<T = unknown> {
	status: 'success' | 'error'
	data: T
	errorType?: string
	error?: string
}

export type Vector = { resultType: 'vector'; result: { metric: Record<string, string>; value: [number, string] }[] }

export interface Prometheus {
	url: string
	/** GET an API path (`/api/v1/...`) and return the decoded JSON body, whatever the status. */
	api<T = unknown>(path: string, params?: Record<string, string | number>): Promise<PromResponse<T>>
	/** Instant query; returns the body (status `error` included, for callers asserting validity). */
	query(expr: string): Promise<PromResponse<Vector>>
	/** Everything Prometheus has logged so far, for failure messages. */
	logs(): string
	stop(): Promise<void>
}

/**
 * Starts a real Prometheus on a free 127.0.0.1 port with exemplar storage, a temporary
 * TSDB and the given configuration (YAML text) written next to any extra files.
 */
export async function startPrometheus(
	binary: string,
	config: string,
	files: Record<string, string> = {},
): Promise<Prometheus> {
	const dir = tempDir('prometheus')
	const configPath = join(dir.path, 'prometheus.yml')
	await Bun.write(configPath, config)
	for (const [name, text] of Object.entries(files)) await Bun.write(join(dir.path, name), text)

	const port = freePort()
	const url = `http://127.0.0.1:${port}`
	const child = Bun.spawn(
		[
			binary,
			`--config.file=${configPath}`,
			`--storage.tsdb.path=${join(dir.path, 'data')}`,
			`--web.listen-address=127.0.0.1:${port}`,
			'--enable-feature=exemplar-storage',
			'--log.level=warn',
		],
		{ cwd: dir.path, stdout: 'pipe', stderr: 'pipe' },
	)
	let output = ''
	const collect = async (stream: ReadableStream<Uint8Array>) => {
		const decoder = new TextDecoder()
		for await (const chunk of stream) output += decoder.decode(chunk, { stream: true })
	}
	void collect(child.stdout)
	void collect(child.stderr)

	let stopped = false
	const stop = async () => {
		if (stopped) return
		stopped = true
		child.kill('SIGTERM')
		const exited = await Promise.race([child.exited.then(() => true), Bun.sleep(5000).then(() => false)])
		if (!exited) {
			child.kill('SIGKILL')
			await child.exited
		}
		dir.remove()
	}

	const api = async <T>(path: string, params: Record<string, string | number> = {}) => {
		const search = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)]))
		const response = await fetch(`${url}${path}${search.size ? `?${search}` : ''}`)
		return (await response.json()) as PromResponse<T>
	}

	try {
		await waitFor(
			'Prometheus to become ready',
			async () => {
				if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`)
				const response = await fetch(`${url}/-/ready`).catch(() => undefined)
				return response?.ok
			},
			{ timeoutMs: 20_000, intervalMs: 100 },
		)
	} catch (error) {
		await stop()
		throw error
	}

	return {
		url,
		api,
		query: (expr) => api<Vector>('/api/v1/query', { query: expr }),
		logs: () => output,
		stop,
	}
}

/**
 * A real Prometheus that scrapes one target as `job` every second and evaluates the project's
 * alert rules (monitoring/prometheus/alerts.yml) every second.
 */
export async function startScrapingPrometheus(binary: string, job: string, target: string): Promise<Prometheus> {
	const rules = await Bun.file(repoPath('monitoring/prometheus/alerts.yml')).text()
	const config = [
		'global:',
		'  scrape_interval: 1s',
		'  scrape_timeout: 1s',
		'  evaluation_interval: 1s',
		'rule_files: [alerts.yml]',
		'scrape_configs:',
		`  - job_name: ${job}`,
		'    metrics_path: /metrics',
		'    static_configs:',
		`      - targets: ["${target}"]`,
	].join('\n')
	return startPrometheus(binary, config, { 'alerts.yml': rules })
}

/** Grafana template variables a dashboard may use, replaced with values Prometheus accepts. */
export function substituteGrafanaVariables(expr: string): string {
	return expr
		.replaceAll(/\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}/g, '1m')
		.replaceAll(/\$__(interval_ms|range_ms)\b/g, '60000')
		.replaceAll(/\$__(range_s)\b/g, '60')
}

export interface DashboardTarget {
	refId: string
	expr?: string
	datasource?: { type: string; uid: string }
	exemplar?: boolean
	legendFormat?: string
}
export interface DashboardPanel {
	id: number
	type: string
	title: string
	description?: string
	gridPos: { x: number; y: number; w: number; h: number }
	datasource?: { type: string; uid: string }
	targets?: DashboardTarget[]
}
export interface Dashboard {
	uid: string
	title: string
	panels: DashboardPanel[]
}

/** The provisioned dashboard and its queries, Grafana variables replaced for Prometheus. */
export async function loadDashboard() {
	const dashboard = (await Bun.file(repoPath('monitoring/grafana/dashboards/byte.json')).json()) as Dashboard
	const panels = dashboard.panels.filter((panel) => panel.type !== 'row')
	const queries = panels.flatMap((panel) =>
		(panel.targets ?? []).map((target) => ({
			panel: panel.title,
			target,
			expr: substituteGrafanaVariables(target.expr ?? ''),
		})),
	)
	return { dashboard, panels, queries }
}
