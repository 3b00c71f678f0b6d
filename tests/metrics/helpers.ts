/** Shared test helpers: slicing families out of an exposition. */

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
