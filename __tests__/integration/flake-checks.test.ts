import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { checkNames, checkSystems } from '../../src/hosts/flake-checks.js'

// Real nix eval on small flakes: the checks output's systems and names, and a flake without one.
let dir: string
const flake = (name: string): string => join(dir, name)

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'flake-checks-'))
  const check = (name: string): string =>
    `${name} = derivation { name = "${name}"; system = "x86_64-linux"; builder = "/bin/sh"; args = [ "-c" "echo > $out" ]; };`
  for (const [name, outputs] of [
    [
      'with',
      `checks = { x86_64-linux = { ${check('fmt')} ${check('vm')} }; aarch64-linux = { ${check('lint')} }; riscv64-linux = { }; };`
    ],
    ['without', 'nixosConfigurations = { };'],
    ['broken', 'checks = throw "no checks today";']
  ]) {
    const { mkdir } = await import('node:fs/promises')
    await mkdir(flake(name))
    await writeFile(join(flake(name), 'flake.nix'), `{ outputs = { self }: { ${outputs} }; }\n`)
  }
})

afterAll(async () => rm(dir, { recursive: true, force: true }))

describe('the flake checks', () => {
  it('lists the systems that have checks, and their names', async () => {
    expect(await checkSystems(`path:${flake('with')}`, process.env)).toEqual(['aarch64-linux', 'x86_64-linux'])
    expect(await checkNames(`path:${flake('with')}`, 'x86_64-linux', process.env)).toEqual(['fmt', 'vm'])
    expect(await checkNames(`path:${flake('with')}`, 'riscv64-linux', process.env)).toEqual([])
    expect(await checkNames(`path:${flake('with')}`, 'aarch64-darwin', process.env)).toEqual([])
  })

  it('a flake without checks has none, and one whose checks do not evaluate says why', async () => {
    expect(await checkSystems(`path:${flake('without')}`, process.env)).toEqual([])
    await expect(checkSystems(`path:${flake('broken')}`, process.env)).rejects.toThrow(
      /could not evaluate path:.*#checks: .*no checks today/
    )
  })
})
