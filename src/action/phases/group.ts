import * as core from '@actions/core'

/** The log group of a phase that runs only `when`: no group, and undefined, otherwise. */
export async function groupIf<T>(when: boolean, name: string, phase: () => Promise<T>): Promise<T | undefined> {
  return when ? core.group(name, phase) : undefined
}
