/**
 * A lockfile for a throwaway user project, cut from this repo's own: the user project needs a subset
 * of the packages we already lock (our runtime dependencies, the SDK and vitest). With a lockfile,
 * `npm ci --offline` only needs tarballs, which `npm ci` in this repo left in the npm cache, and no
 * registry metadata, so CI never touches the network.
 */
type LockEntry = Record<string, unknown> & {
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
};
export interface Lockfile {
  name?: string;
  lockfileVersion: number;
  requires?: boolean;
  packages: Record<string, LockEntry>;
}

/** Where node would find `name` when required from the package installed at `from` (`''` is the root). */
function locate(packages: Lockfile['packages'], from: string, name: string): string | undefined {
  for (let base = from; ; ) {
    const key = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
    if (packages[key]) return key;
    if (!base) return undefined;
    const i = base.lastIndexOf('/node_modules/');
    base = i < 0 ? '' : base.slice(0, i);
  }
}

/**
 * Our lock records no download addresses (npm is set up that way here), so npm would fetch each
 * package's registry metadata to find its tarball, and that is not in every cache. The registry's
 * tarball address is fixed by name and version: write it down and only the tarball is needed.
 */
function tarballUrl(registry: string, key: string, entry: LockEntry): Partial<LockEntry> {
  if (entry['resolved'] || !entry.version || entry['link']) return {};
  const name = (entry['name'] as string | undefined) ?? key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
  const base = name.slice(name.lastIndexOf('/') + 1);
  return { resolved: `${registry.replace(/\/?$/, '/')}${name}/-/${base}-${entry.version}.tgz` };
}

export interface UserPackage {
  name: string;
  /** `file:` spec of the packed tarball, relative to the project. */
  tarball: string;
  integrity: string;
  manifest: { version: string; license?: string; dependencies?: Record<string, string>; bin?: Record<string, string>; engines?: Record<string, string> };
}

/**
 * The lockfile of a project whose devDependencies are the packed package plus `alsoFrom` (names
 * locked in `ours`, at the versions locked there).
 */
export function userLockfile(
  ours: Lockfile,
  project: string,
  pkg: UserPackage,
  alsoFrom: string[],
  registry = 'https://registry.npmjs.org/',
): { lock: Lockfile; devDependencies: Record<string, string> } {
  const src = ours.packages;
  const devDependencies: Record<string, string> = { [pkg.name]: pkg.tarball };
  for (const name of alsoFrom) devDependencies[name] = src[`node_modules/${name}`]!.version!;
  const packages: Lockfile['packages'] = {
    '': { name: project, devDependencies },
    [`node_modules/${pkg.name}`]: {
      version: pkg.manifest.version,
      resolved: pkg.tarball,
      integrity: pkg.integrity,
      dev: true,
      license: pkg.manifest.license,
      dependencies: pkg.manifest.dependencies,
      bin: pkg.manifest.bin,
      engines: pkg.manifest.engines,
    },
  };
  const queue = [...Object.keys(pkg.manifest.dependencies ?? {}), ...alsoFrom].map((name) => ({ from: '', name, optional: false }));
  while (queue.length > 0) {
    const { from, name, optional } = queue.shift()!;
    const key = locate(src, from, name);
    if (!key) {
      if (optional) continue;
      throw new Error(`${name} (needed by ${from || 'the project'}) is not in package-lock.json`);
    }
    if (packages[key]) continue;
    const entry = src[key]!;
    packages[key] = { ...entry, dev: true, ...tarballUrl(registry, key, entry) };
    const deps = (d: Record<string, string> | undefined, opt: boolean) => Object.keys(d ?? {}).map((n) => ({ from: key, name: n, optional: opt }));
    const optionalPeer = (n: string) => entry.peerDependenciesMeta?.[n]?.optional === true;
    queue.push(...deps(entry.dependencies, false), ...deps(entry.optionalDependencies, true));
    queue.push(...Object.keys(entry.peerDependencies ?? {}).map((n) => ({ from: key, name: n, optional: optionalPeer(n) })));
  }
  return { lock: { name: project, lockfileVersion: 3, requires: true, packages }, devDependencies };
}
