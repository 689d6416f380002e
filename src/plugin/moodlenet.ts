// Is the folder a MoodleNet extension package rather than a Moodle plugin? MoodleNet's guide: a
// package.json declaring @moodlenet/core (as a peer dependency), and no version.php.

/** What this needs of a Plugin (not imported: plugin.ts asks this module). */
interface PluginFiles {
  readonly parent: unknown;
  has(rel: string): boolean;
  text(rel: string): string | undefined;
}

export interface MoodleNetManifest {
  text: string;
  data: Record<string, unknown>;
  /** package.json does not parse (data is then empty). */
  error?: string;
}

const cache = new WeakMap<PluginFiles, MoodleNetManifest | null>();

export function moodleNetManifest(plugin: PluginFiles): MoodleNetManifest | undefined {
  const known = cache.get(plugin);
  if (known !== undefined) return known ?? undefined;
  let found: MoodleNetManifest | null = null;
  const text =
    plugin.parent === undefined && !plugin.has('version.php')
      ? plugin.text('package.json')
      : undefined;
  if (text !== undefined && text.includes('@moodlenet/core')) {
    try {
      const data = JSON.parse(text) as unknown;
      if (typeof data === 'object' && data !== null && !Array.isArray(data)) {
        const d = data as Record<string, unknown>;
        const declares = (key: string): boolean =>
          typeof d[key] === 'object' && d[key] !== null && '@moodlenet/core' in d[key];
        if (declares('peerDependencies') || declares('dependencies')) found = { text, data: d };
      } else found = { text, data: {}, error: 'its top level is not an object' };
    } catch (e) {
      found = { text, data: {}, error: (e as Error).message };
    }
  }
  cache.set(plugin, found);
  return found ?? undefined;
}
