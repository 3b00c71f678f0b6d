/** Shared test helpers: slicing families out of an exposition, and running promtool. */

/** The lines of one metric family (from its `# HELP` to the next family), joined with '\n'. */
export function family(exposition: string, name: string): string {
  const lines = exposition.split('\n');
  const start = lines.indexOf(lines.find((l) => l.startsWith(`# HELP ${name} `)) ?? '\0');
  if (start === -1) throw new Error(`family ${name} not found in:\n${exposition}`);
  let end = start + 1;
  while (end < lines.length && !lines[end]!.startsWith('# HELP ') && lines[end] !== '# EOF' && lines[end] !== '') {
    end++;
  }
  return lines.slice(start, end).join('\n');
}

/** Sample lines only (no comments), in order. */
export function samples(exposition: string): string[] {
  return exposition.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
}

export const promtoolPath = Bun.which('promtool');

/** promtool is required in CI; elsewhere its tests are skipped with a visible reason. */
export const skipPromtool = promtoolPath === null && process.env.CI !== 'true';

if (skipPromtool) {
  console.warn('promtool is missing (Debian package "prometheus"): skipping `promtool check metrics` tests');
}

/** Runs `promtool check metrics` with `exposition` on stdin. */
export async function promtoolCheck(exposition: string): Promise<{ exitCode: number; output: string }> {
  if (promtoolPath === null) {
    throw new Error('promtool is missing but CI=true: install the "prometheus" package');
  }
  const proc = Bun.spawn([promtoolPath, 'check', 'metrics'], {
    stdin: new TextEncoder().encode(exposition),
    stdout: 'pipe',
    stderr: 'pipe',
  });
  const [stdout, stderr, exitCode] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { exitCode, output: (stdout + stderr).trim() };
}
