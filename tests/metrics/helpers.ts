/** Shared test helpers: a latency histogram, slicing families out of an exposition. */
import { Registry } from '../../src/observability/metrics/index.ts'

/** The fixed clock of {@link latencyRegistry}: exemplar timestamps read 1732560000.123. */
export const NOW = 1732560000123

/** A registry with one latency histogram (buckets 5 ms, 10 ms, 1 s) and its `GET /x` series. */
export function latencyRegistry() {
	const registry = new Registry({ now: () => NOW })
	const latency = registry.histogram({
		name: 'http_request_duration_seconds',
		help: 'Request latency.',
		labelNames: ['method', 'endpoint'] as const,
		buckets: [0.005, 0.01, 1],
	})
	return { registry, series: latency.labels('GET', '/x') }
}

/** The lines of one metric family (from its `# HELP` to the next family), joined with '\n'. */
export function family(exposition: string, name: string): string {
	const lines = exposition.split('\n')
	const start = lines.indexOf(lines.find((l) => l.startsWith(`# HELP ${name} `)) ?? '\0')
	if (start === -1) throw new Error(`family ${name} not found in:\n${exposition}`)
	let end = start + 1
	while (end < lines.length && !lines[end]!.startsWith('# HELP ') && lines[end] !== '# EOF' && lines[end] !== '') {
		end++
	}
	return lines.slice(start, end).join('\n')
}

/** Sample lines only (no comments), in order. */
export function samples(exposition: string): string[] {
	return exposition.split('\n').filter((l) => l !== '' && !l.startsWith('#'))
}
