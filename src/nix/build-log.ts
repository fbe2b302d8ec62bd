/** Nix logs this line for every derivation it builds, locally or on a remote builder (2.8 to 2.34). */
const BUILDING = /^building '(\/nix\/store\/[^']+\.drv)'/

/** The derivation a line of Nix's log says it starts building, if it is such a line. */
export function derivationBuilding(line: string): string | undefined {
  return BUILDING.exec(line)?.[1]
}

/** "building '<drv>' on '<builder>'": a derivation Nix hands to a remote builder (2.8 to 2.34). */
const BUILDING_ON = /^building '(\/nix\/store\/[^']+\.drv)' on '([^']+)'/

/** The derivation and the builder, when the line says Nix builds it on a remote builder. */
export function remoteBuilding(line: string): { drvPath: string; builder: string } | undefined {
  const match = BUILDING_ON.exec(line)
  return match ? { drvPath: match[1], builder: match[2] } : undefined
}
