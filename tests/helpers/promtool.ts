/** Runs Debian's promtool; in CI its absence fails the test, elsewhere the test skips. */
export function promtoolPath(): string | null {
	return Bun.which('promtool')
}

export function requirePromtool(suite: string): boolean {
	if (promtoolPath()) return true
	const message = `${suite}: promtool is not installed (Debian package "prometheus")`
	if (process.env.CI === 'true') throw new Error(`${message}; required in CI`)
	console.warn(`${message}; skipping`)
	return false
}

/** `promtool check metrics` on the given exposition text: exit code and output. */
export async function checkMetrics(text: string): Promise<{ code: number; output: string }> {
	const proc = Bun.spawn([promtoolPath() ?? 'promtool', 'check', 'metrics'], {
		stdin: new Blob([text]),
		stdout: 'pipe',
		stderr: 'pipe',
	})
	const [stdout, stderr, code] = await Promise.all([
		new Response(proc.stdout).text(),
		new Response(proc.stderr).text(),
		proc.exited,
	])
	return { code, output: `${stdout}${stderr}`.trim() }
}
