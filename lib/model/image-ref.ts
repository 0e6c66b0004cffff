/** Image references: `repo[:tag][@digest]`, normalised as Docker does (`whoami` → `whoami:latest`). */

/** Splits `repo[:tag][@digest]`; a ':' before the last '/' is a registry port, not a tag. */
export function parseImageRef(ref: string): { repository: string; tag: string | undefined; digest: string | undefined } {
  const at = ref.indexOf('@');
  const name = at === -1 ? ref : ref.slice(0, at);
  const digest = at === -1 ? undefined : ref.slice(at + 1);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return { repository: name.slice(0, colon), tag: name.slice(colon + 1), digest };
  return { repository: name, tag: undefined, digest };
}

/** The full reference: adds `:latest` when there is no tag (`host:5000/img` → `host:5000/img:latest`). */
export function imageRef(name: string): string {
  const { repository, tag, digest } = parseImageRef(name);
  if (tag !== undefined || digest !== undefined) return name;
  return `${repository}:latest`;
}

/**
 * Docker's familiar, tagged spelling: what the docker CLI sends (`reference.TagNameOnly` then
 * `FamiliarString`) and so what Swarm stores. `whoami` → `whoami:latest`, `docker.io/library/nginx`
 * and `library/nginx` → `nginx:latest`, `docker.io/org/app:1` → `org/app:1`; other registries, tags
 * and digests are kept as written.
 */
export function normalizeImageName(name: string): string {
  let ref = imageRef(name.trim());
  for (const host of ['docker.io/', 'index.docker.io/']) {
    if (ref.startsWith(host)) { ref = ref.slice(host.length); break; }
  }
  // `library/` is Docker Hub's namespace of official (single-component) images only.
  if (ref.startsWith('library/') && !parseImageRef(ref).repository.slice('library/'.length).includes('/')) ref = ref.slice('library/'.length);
  return ref;
}
