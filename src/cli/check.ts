import type { CachixClient } from '../cachix/client.js'
import { derivationOutputsFromJson } from '../nix/format/show-derivation.js'
import { hashPart } from '../nix/format/store-path.js'
import type { PushFilter } from '../push/filter.js'
import { parseDryRun } from '../nix-build/nix-build.js'
import { configurationNames, hostDetails } from '../hosts/flake.js'
import { DEFAULT_SUBSTITUTER, narinfoSubstituters } from '../nix/substituters.js'
import { SubstituterNarInfos } from '../cachix/substituter-narinfos.js'
import { mapLimit } from '../util/async.js'
import { kindSpec, resolveHost } from '../hosts/configurations.js'
import { runCommand } from '../util/process.js'
import { explainBuilds, explainImports, type Explained, type MissingImport } from './explain.js'
import { walkEach } from '../cachix/closure-walk.js'
import { runNix } from '../nix/command.js'

export interface CheckResult {
  toplevel: string
  toFetch: string[]
  builds: Explained[]
  /** What the host's evaluation imports that the cache lacks: a machine without it compiles it to evaluate the host. */
  missingImports: MissingImport[]
  /** Why the host's imports could not all be listed, when they could not. */
  importsUnknown?: string
}

const FRESH_NARINFO = ['--option', 'narinfo-cache-positive-ttl', '0', '--option', 'narinfo-cache-negative-ttl', '0']

/**
 * What switching to `host` would do on this machine, with its own substituters: one
 * evaluation, one dry run, one batched query of the cache for the reasons; and, when its
 * evaluation imports anything (the evaluation's log tells), the imports' closures walked in the cache.
 */
export async function checkHost(
  flake: string,
  host: string,
  client: CachixClient,
  filter: PushFilter
): Promise<CheckResult> {
  const resolved = resolveHost(host, await configurationNames(flake, process.env))
  const [details] = await hostDetails(flake, [{ ...resolved, id: host }], process.env)
  const { drvPath: drv, outPath: out } = details
  const imported = {
    missingImports:
      details.imports.length === 0
        ? []
        : explainImports(await walkEach(client, details.imports), { cache: client.cacheName, host }),
    importsUnknown: details.importsUnknown
  }
  const dry = await runCommand('nix-store', ['--realise', '--dry-run', drv, ...FRESH_NARINFO])
  const plan = parseDryRun(dry.stderr)
  if (plan.toBuild.length === 0 && plan.unknown.length === 0)
    return { toplevel: out, toFetch: plan.toFetch, builds: [], ...imported }
  // Through the store (not by reading the .drv files), so a --store or chroot store works too.
  // A path the cached closure references but no cache has is "unknown" to the dry run; on a
  // real switch Nix builds it (and the toplevel, whose closure is incomplete), so find its
  // derivation among the toplevel's.
  const drvs =
    plan.unknown.length === 0
      ? plan.toBuild
      : (await runCommand('nix-store', ['--query', '--requisites', drv])).stdout
          .split('\n')
          .filter(l => l.endsWith('.drv'))
  const shown = await runNix(['show-derivation', ...drvs])
  const outputsOf = derivationOutputsFromJson(JSON.parse(shown.stdout))
  const producing = (path: string): string | undefined =>
    [...outputsOf].find(([, outputs]) => outputs.includes(path))?.[0]
  const pending = new Set(plan.toBuild)
  for (const path of plan.unknown) pending.add(producing(path) ?? path)
  if (plan.unknown.length > 0) pending.add(drv)
  const builds = [...pending].map(drvPath => ({
    drvPath,
    outputs: outputsOf.get(drvPath) ?? (drvPath.endsWith('.drv') ? [] : [drvPath])
  }))
  const outputs = builds.flatMap(b => b.outputs)
  const missingHashes = await client.missingHashes([hashPart(out), ...outputs.map(hashPart)])
  const upstream = await upstreamOutputs(
    client,
    outputs.filter(o => !missingHashes.has(hashPart(o))),
    details.substituters
  )
  const dirty = await runCommand('git', ['-C', flake, 'status', '--porcelain'], { okCodes: [128] })
    .then(r => r.code === 0 && r.stdout.trim() !== '')
    .catch(() => false)
  return {
    toplevel: out,
    toFetch: plan.toFetch,
    ...imported,
    builds: explainBuilds(builds, {
      cache: client.cacheName,
      toplevel: out,
      toplevelInCache: !missingHashes.has(hashPart(out)),
      dirtyTree: dirty,
      missingFromCache: new Set(outputs.filter(o => missingHashes.has(hashPart(o)))),
      upstream,
      filtered: path => filter.excluded(path),
      unknownPaths: plan.unknown,
      toplevelDrv: drv,
      closureName: kindSpec(resolved.kind).closureName
    })
  }
}

/**
 * Of the outputs the cache counts as present, those it does not hold (GET narinfo 404): present
 * upstream, as Cachix counts what cache.nixos.org has. Each with the first of the host's
 * substituters (or cache.nixos.org) found to have it, to name in the advice.
 */
async function upstreamOutputs(
  client: CachixClient,
  present: string[],
  hostSubstituters: string[]
): Promise<Map<string, string | undefined>> {
  const held = await mapLimit(present, 16, async path => (await client.narinfo(hashPart(path))) !== undefined)
  const upstream = present.filter((_, i) => !held[i])
  const where = new SubstituterNarInfos(
    narinfoSubstituters([...hostSubstituters, DEFAULT_SUBSTITUTER]).map(url => ({ url }))
  )
  const found = await mapLimit(upstream, 16, async path => (await where.find(hashPart(path)))?.url)
  return new Map(upstream.map((path, i) => [path, found[i]]))
}
