import { access, constants } from 'node:fs/promises'

/** True when `path` exists (and, with `mode`, may be used that way: constants.X_OK, W_OK). */
export async function exists(path: string, mode: number = constants.F_OK): Promise<boolean> {
  return access(path, mode).then(
    () => true,
    () => false
  )
}
