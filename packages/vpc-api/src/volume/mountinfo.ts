/** One line of /proc/self/mountinfo, reduced to what the probe needs. */
export interface MountEntry {
  mountPoint: string;
  fileSystemType: string;
  source: string;
}

// mountinfo escapes space, tab, newline and backslash as \ooo octal.
function unescapeMountField(field: string): string {
  return field.replace(/\\([0-7]{3})/g, (_match, octal: string) => String.fromCharCode(parseInt(octal, 8)));
}

/** Parses proc(5) mountinfo: `id parent major:minor root mountPoint options [optional…] - fstype source superOptions`. */
export function parseMountInfo(text: string): MountEntry[] {
  const entries: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(' ');
    const separator = fields.indexOf('-');
    if (separator < 6 || fields.length < separator + 3) continue;
    entries.push({
      mountPoint: unescapeMountField(fields[4]!),
      fileSystemType: fields[separator + 1]!,
      source: unescapeMountField(fields[separator + 2]!),
    });
  }
  return entries;
}

/** The mount holding `absolutePath`: the longest mount point that is a path prefix; the last one wins on ties (over-mounts). */
export function mountContaining(entries: readonly MountEntry[], absolutePath: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const entry of entries) {
    const point = entry.mountPoint;
    const inside = point === '/' || absolutePath === point || absolutePath.startsWith(point.endsWith('/') ? point : `${point}/`);
    if (inside && (best === undefined || point.length >= best.mountPoint.length)) best = entry;
  }
  return best;
}
