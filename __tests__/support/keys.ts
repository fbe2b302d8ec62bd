import { mkdtemp, readFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runCommand } from '../../src/util/process.js'

/** A binary cache key pair of `name`, made by nix-store as a user makes one. */
export async function generateKey(name: string): Promise<{ secret: string; public: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'key-'))
  await runCommand('nix-store', ['--generate-binary-cache-key', name, join(dir, 'sk'), join(dir, 'pk')])
  return {
    secret: (await readFile(join(dir, 'sk'), 'utf8')).trim(),
    public: (await readFile(join(dir, 'pk'), 'utf8')).trim()
  }
}
