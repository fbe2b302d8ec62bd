/** Cachix cache names: lowercase letters, digits and dashes, not starting with a dash. */
export function isValidCacheName(name: string): boolean {
  return /^[a-z0-9][a-z0-9-]{0,62}$/.test(name)
}
