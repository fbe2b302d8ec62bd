#!/usr/bin/env node
import { createRequire as __WEBPACK_EXTERNAL_createRequire } from "module";
/******/ var __webpack_modules__ = ({

/***/ 581:
/***/ ((module, __unused_webpack___webpack_exports__, __nccwpck_require__) => {

__nccwpck_require__.a(module, async (__webpack_handle_async_dependencies__, __webpack_async_result__) => { try {
/* harmony import */ var _cli_main_js__WEBPACK_IMPORTED_MODULE_0__ = __nccwpck_require__(743);

process.exitCode = await (0,_cli_main_js__WEBPACK_IMPORTED_MODULE_0__/* .main */ .i)(process.argv.slice(2));

__webpack_async_result__();
} catch(e) { __webpack_async_result__(e); } }, 1);

/***/ }),

/***/ 743:
/***/ ((__unused_webpack_module, __webpack_exports__, __nccwpck_require__) => {


// EXPORTS
__nccwpck_require__.d(__webpack_exports__, {
  i: () => (/* binding */ main)
});

;// CONCATENATED MODULE: external "node:fs/promises"
const promises_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs/promises");
;// CONCATENATED MODULE: external "node:os"
const external_node_os_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:os");
;// CONCATENATED MODULE: external "node:path"
const external_node_path_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:path");
;// CONCATENATED MODULE: external "node:child_process"
const external_node_child_process_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:child_process");
;// CONCATENATED MODULE: ./src/util/arrays.ts
/** `items` in consecutive batches of at most `size`. */
function chunks(items, size) {
    const out = [];
    for (let i = 0; i < items.length; i += size)
        out.push(items.slice(i, i + size));
    return out;
}

;// CONCATENATED MODULE: ./src/util/process.ts

// The action's inputs (token, signing key, github-token) and credentials a user may have exported
// for Cachix's own tools. The action and the CLI read them in-process; no child ever needs them.
const SECRET_VARIABLES = new Set(['CACHIX_AUTH_TOKEN', 'CACHIX_SIGNING_KEY']);
// The runner's tokens for its own services: the toolkit's cache client needs them in this process, children do not.
const RUNNER_TOKENS = new Set(['ACTIONS_RUNTIME_TOKEN', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN']);
function isSecretVariable(name) {
    return name.startsWith('INPUT_') || SECRET_VARIABLES.has(name);
}
/**
 * The environment every child process gets (nix, nix-store, zstd, sudo, the installer): the
 * given one without the action's inputs, Cachix credentials or the runner's tokens.
 */
function childEnv(env = process.env) {
    const clean = {};
    for (const [name, value] of Object.entries(env))
        if (!isSecretVariable(name) && !RUNNER_TOKENS.has(name))
            clean[name] = value;
    return clean;
}
/**
 * Removes the inputs and Cachix credentials from this process's own environment once they are
 * read, so a child spawned without an explicit environment cannot inherit them either.
 */
function forgetSecretEnv(env = process.env) {
    for (const name of Object.keys(env))
        if (isSecretVariable(name))
            delete env[name];
}
/** Runs a program with an argument array (never a shell) and returns its output. */
async function process_runCommand(command, args, options = {}) {
    const spawnOptions = {
        env: childEnv(options.env ?? process.env),
        cwd: options.cwd,
        stdio: ['pipe', 'pipe', 'pipe']
    };
    const child = (0,external_node_child_process_namespaceObject.spawn)(command, args, spawnOptions);
    const stdout = [];
    const stderr = [];
    child.stdout?.on('data', (chunk) => stdout.push(chunk));
    child.stderr?.on('data', (chunk) => stderr.push(chunk));
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
    const code = await new Promise((resolve, reject) => {
        child.on('error', error => reject(new Error(`could not start ${command}: ${error.message}`)));
        child.on('close', (exitCode, signal) => resolve(exitCode ?? (signal ? 128 : 1)));
    });
    const result = {
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        code
    };
    if (code !== 0 && !(options.okCodes ?? []).includes(code)) {
        throw new CommandError(command, args, result);
    }
    return result;
}
class CommandError extends Error {
    command;
    args;
    result;
    constructor(command, args, result) {
        super(`${command} ${args.slice(0, 3).join(' ')}${args.length > 3 ? ' …' : ''} failed with exit code ${result.code}: ${lastLine(result.stderr) || 'no error output'}`);
        this.command = command;
        this.args = args;
        this.result = result;
    }
}
/** The last non-empty line, which is where Nix and most tools put the actual error. */
function lastLine(text) {
    const lines = text
        .split('\n')
        .map(l => l.trim())
        .filter(l => l !== '');
    return lines[lines.length - 1] ?? '';
}

;// CONCATENATED MODULE: ./src/util/knobs.ts
/** An absolute directory, or '' when the knob is not set. */
function directory(env, name) {
    const dir = env[name] ?? '';
    if (dir !== '' && !dir.startsWith('/'))
        throw new Error(`${name} must be an absolute directory, not "${dir}"`);
    return dir;
}
/** The knob's value, one of `values`, or '' when it is not set. */
function oneOf(env, name, values) {
    const set = env[name] ?? '';
    if (set !== '' && !values.includes(set))
        throw new Error(`${name} may only be ${values.map(v => `"${v}"`).join(' or ')}, not "${set}"`);
    return set;
}
/** True when the knob is set to `value`, its only value. */
function switchedTo(env, name, value) {
    return oneOf(env, name, [value]) === value;
}
function storeRoot(env = process.env) {
    return directory(env, 'NIX_CACHIX_BUILD_STORE_ROOT').replace(/\/+$/, '');
}
/** `NIX_CACHIX_BUILD_ZSTD`: '' (unset), or which zstd program the pusher must use. */
function zstdKnob(env = process.env) {
    return oneOf(env, 'NIX_CACHIX_BUILD_ZSTD', ['process', 'process-per-path']);
}
function forcedZstdProcess(env = process.env) {
    return zstdKnob(env) !== '';
}
function forcedZstdPerPath(env = process.env) {
    return zstdKnob(env) === 'process-per-path';
}
function hashOnMainThread(env = process.env) {
    return switchedTo(env, 'NIX_CACHIX_BUILD_HASH', 'main');
}
/** The knob's number, which `ok` accepts (`what` says which), or `fallback` when it is not set. */
function numberKnob(env, name, fallback, ok, what) {
    const text = env[name];
    if (text === undefined || text === '')
        return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || !ok(value))
        throw new Error(`${name} must be ${what}, not "${text}"`);
    return value;
}
function heartbeatMs(env = process.env) {
    const seconds = numberKnob(env, 'NIX_CACHIX_BUILD_HEARTBEAT_SECONDS', 60, s => s >= 1, 'a number of seconds (1 or more)');
    return seconds * 1000;
}
function narFromNixStore(env = process.env) {
    return switchedTo(env, 'NIX_CACHIX_BUILD_NAR', 'nix-store');
}
function knobs_diskRoot(env = process.env) {
    return directory(env, 'NIX_CACHIX_BUILD_DISK_ROOT') || '/';
}
function retryScale(env = process.env) {
    return numberKnob(env, 'NIX_CACHIX_BUILD_RETRY_SCALE', 1, s => s > 0 && s <= 1, 'a number above 0 and at most 1');
}

;// CONCATENATED MODULE: ./src/nix/format/base32.ts
// Nix's own base32: a 32-letter alphabet without e, o, u, t, written from the last
// 5-bit group to the first. It is not RFC 4648 and cannot be swapped for it.
const ALPHABET = '0123456789abcdfghijklmnpqrsvwxyz';
function nix32Length(byteLength) {
    return Math.floor((byteLength * 8 - 1) / 5) + 1;
}
function encodeNix32(bytes) {
    const length = nix32Length(bytes.length);
    let out = '';
    for (let n = length - 1; n >= 0; n--) {
        const bit = n * 5;
        const i = bit >> 3;
        const j = bit & 7;
        const low = bytes[i] >> j;
        const high = i + 1 < bytes.length ? bytes[i + 1] << (8 - j) : 0;
        out += ALPHABET[(low | high) & 0x1f];
    }
    return out;
}
function decodeNix32(text, byteLength) {
    if (text.length !== nix32Length(byteLength)) {
        throw new Error(`nix32 string "${text}" has ${text.length} characters, expected ${nix32Length(byteLength)}`);
    }
    const bytes = Buffer.alloc(byteLength);
    for (let n = 0; n < text.length; n++) {
        const digit = ALPHABET.indexOf(text[text.length - 1 - n]);
        if (digit < 0)
            throw new Error(`"${text}" is not nix32: bad character "${text[text.length - 1 - n]}"`);
        const bit = n * 5;
        const i = bit >> 3;
        const j = bit & 7;
        bytes[i] |= (digit << j) & 0xff;
        const carry = digit >> (8 - j);
        if (i + 1 < byteLength)
            bytes[i + 1] |= carry;
        else if (carry !== 0)
            throw new Error(`"${text}" is not nix32: it overflows ${byteLength} bytes`);
    }
    return bytes;
}
function isNix32(text) {
    return /^[0-9abcdfghijklmnpqrsvwxyz]+$/.test(text);
}

;// CONCATENATED MODULE: ./src/nix/format/store-path.ts

const STORE_DIR = '/nix/store';
const HASH_LENGTH = 32;
function store_path_parseStorePath(path) {
    const prefix = `${STORE_DIR}/`;
    if (!path.startsWith(prefix))
        throw new Error(`"${path}" is not a store path: it must start with ${prefix}`);
    return parseBaseName(path.slice(prefix.length));
}
function parseBaseName(baseName) {
    const hash = baseName.slice(0, HASH_LENGTH);
    const name = baseName.slice(HASH_LENGTH + 1);
    if (hash.length !== HASH_LENGTH ||
        !isNix32(hash) ||
        baseName[HASH_LENGTH] !== '-' ||
        name === '' ||
        name.includes('/')) {
        throw new Error(`"${baseName}" is not a store path name of the form <32-char hash>-<name>`);
    }
    return { hash, name };
}
function baseName(path) {
    store_path_parseStorePath(path);
    return path.slice(STORE_DIR.length + 1);
}
function hashPart(path) {
    return store_path_parseStorePath(path).hash;
}
function fullPath(name) {
    return name.startsWith('/') ? name : `${STORE_DIR}/${name}`;
}

;// CONCATENATED MODULE: ./src/nix/format/derivation-file.ts

/**
 * The outputs named at the start of a `.drv` file (`Derive([("out","/nix/store/…","",""),…`),
 * name → path, or undefined when the file does not read that way or an output has no fixed path
 * yet (content-addressed derivations): the caller then asks Nix.
 */
function derivationFileOutputMap(text) {
    const head = /^Derive\(\[((?:\("[^"\\]*","[^"\\]*","[^"\\]*","[^"\\]*"\),?)*)\]/.exec(text);
    if (head === null)
        return undefined;
    const outputs = new Map();
    for (const tuple of head[1].matchAll(/\("([^"]*)","([^"]*)","[^"]*","[^"]*"\)/g)) {
        const path = tuple[2];
        if (path === '')
            return undefined;
        try {
            store_path_parseStorePath(path);
        }
        catch {
            return undefined;
        }
        outputs.set(tuple[1], path);
    }
    return outputs.size > 0 ? outputs : undefined;
}

;// CONCATENATED MODULE: ./src/nix/format/hash.ts

const SHA256_BYTES = 32;
/** Reads every sha256 form Nix prints or accepts: `sha256:<nix32|hex|base64>`, SRI `sha256-<base64>`. */
function parseSha256(text) {
    const trimmed = text.trim();
    let body;
    if (trimmed.startsWith('sha256:'))
        body = trimmed.slice(7);
    else if (trimmed.startsWith('sha256-'))
        return fromBase64(trimmed.slice(7), trimmed);
    else
        body = trimmed;
    if (body.length === 64 && /^[0-9a-fA-F]+$/.test(body))
        return Buffer.from(body, 'hex');
    if (body.length === nix32Length(SHA256_BYTES) && isNix32(body))
        return decodeNix32(body, SHA256_BYTES);
    if (body.length === 44)
        return fromBase64(body, trimmed);
    throw new Error(`"${text}" is not a sha256 hash in any form Nix uses (hex, nix32, base64 or SRI)`);
}
function fromBase64(body, original) {
    const bytes = Buffer.from(body, 'base64');
    if (bytes.length !== SHA256_BYTES || bytes.toString('base64') !== body) {
        throw new Error(`"${original}" is not a sha256 hash: its base64 part does not decode to 32 bytes`);
    }
    return bytes;
}
/** The narinfo / fingerprint form: `sha256:<nix32>`. */
function toNixHash(digest) {
    return `sha256:${encodeNix32(digest)}`;
}
/** Any accepted form, normalised to `sha256:<nix32>`. */
function normaliseNixHash(text) {
    return toNixHash(parseSha256(text));
}

;// CONCATENATED MODULE: ./src/nix/format/path-info.ts


/**
 * `nix path-info --json` changed shape twice: an array of objects with `path` (≤2.18), an
 * object keyed by full path with null for invalid paths (2.19–2.32, and v1 on ≥2.33), and
 * `{version: 2, info: {<basename>: …}}` (`--json-format 2`). All three are read here;
 * invalid paths are left out of the result.
 */
function parsePathInfoJson(json) {
    const entries = [];
    if (Array.isArray(json)) {
        for (const item of json)
            entries.push([String(item.path), item]);
    }
    else if (json !== null && typeof json === 'object') {
        const object = json;
        if (typeof object.version === 'number' && object.info !== undefined && typeof object.info === 'object') {
            for (const [key, value] of Object.entries(object.info))
                entries.push([fullPath(key), value]);
        }
        else {
            for (const [key, value] of Object.entries(object))
                entries.push([key, value]);
        }
    }
    else {
        throw new Error('nix path-info --json printed neither an array nor an object');
    }
    const infos = [];
    for (const [path, entry] of entries) {
        if (entry === null || entry.valid === false || typeof entry.narHash !== 'string')
            continue;
        const deriver = entry.deriver;
        infos.push({
            path,
            narHash: normaliseNixHash(entry.narHash),
            narSize: Number(entry.narSize),
            references: (entry.references ?? []).map(fullPath).sort(),
            deriver: typeof deriver === 'string' && deriver !== '' && deriver !== 'unknown-deriver' ? fullPath(deriver) : undefined
        });
    }
    return infos;
}
/** `infos` ordered so every path comes after the paths it references (as `nix-store -q --requisites` prints them). */
function dependenciesFirst(infos) {
    const byPath = new Map(infos.map(info => [info.path, info]));
    const placed = new Set();
    const ordered = [];
    // Depth first without recursion: a chain of thousands of paths must not exhaust the stack.
    for (const root of [...infos].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))) {
        const stack = [{ info: root, next: 0 }];
        const onStack = new Set([root.path]);
        if (placed.has(root.path))
            continue;
        while (stack.length > 0) {
            const top = stack[stack.length - 1];
            const reference = top.info.references[top.next++];
            if (reference === undefined) {
                stack.pop();
                onStack.delete(top.info.path);
                if (!placed.has(top.info.path)) {
                    placed.add(top.info.path);
                    ordered.push(top.info);
                }
                continue;
            }
            const dependency = byPath.get(reference);
            if (dependency !== undefined && !placed.has(reference) && !onStack.has(reference)) {
                stack.push({ info: dependency, next: 0 });
                onStack.add(reference);
            }
        }
    }
    return ordered;
}

;// CONCATENATED MODULE: ./src/nix/command.ts

// Nix before 2.35 needs both features switched on for `nix build`, `nix eval` and flake references;
// naming them on every call works whatever the machine's nix.conf says.
const NIX_FLAKES_ARGS = ['--extra-experimental-features', 'nix-command flakes'];
const command_NIX_FLAKES_CONF = 'extra-experimental-features = nix-command flakes';
/** Runs `nix` with the new CLI and flakes enabled. */
async function command_runNix(args, options = {}) {
    return process_runCommand('nix', [...NIX_FLAKES_ARGS, ...args], options);
}

;// CONCATENATED MODULE: ./src/nix/store.ts








// Long argument lists are split so no call comes near the kernel's ARG_MAX.
const PATHS_PER_CALL = 2000;
/** Read-only queries against the local Nix store, portable from Nix 2.8 to current releases. */
class NixStore {
    env;
    constructor(env = process.env) {
        this.env = env;
    }
    /** The runtime closure of `paths`, dependencies before dependents. */
    async closure(paths) {
        if (paths.length === 0)
            return [];
        const seen = new Set();
        const ordered = [];
        for (const batch of chunks(paths, PATHS_PER_CALL)) {
            const { stdout } = await process_runCommand('nix-store', ['--query', '--requisites', ...batch], { env: this.env });
            for (const line of stdout.split('\n')) {
                if (line !== '' && !seen.has(line)) {
                    seen.add(line);
                    ordered.push(line);
                }
            }
        }
        return ordered;
    }
    /** Metadata for many paths in few calls; invalid paths are absent from the map. */
    async pathInfos(paths) {
        const infos = new Map();
        for (const batch of chunks(paths, PATHS_PER_CALL)) {
            const { stdout } = await command_runNix(['path-info', '--json', ...batch], { env: this.env, okCodes: [1] });
            if (stdout.trim() === '')
                continue;
            for (const info of parsePathInfoJson(JSON.parse(stdout)))
                infos.set(info.path, info);
        }
        return infos;
    }
    async isValid(path) {
        const { code } = await process_runCommand('nix-store', ['--check-validity', path], { env: this.env, okCodes: [1] });
        return code === 0;
    }
    /** Which of `paths` are valid, in one program start per batch rather than one per path. */
    async validPaths(paths) {
        const unique = [...new Set(paths)];
        const valid = new Set(unique);
        for (const batch of chunks(unique, PATHS_PER_CALL)) {
            const { stdout } = await process_runCommand('nix-store', ['--check-validity', '--print-invalid', ...batch], {
                env: this.env
            });
            for (const line of stdout.split('\n'))
                valid.delete(line);
        }
        return valid;
    }
    /**
     * The outputs of a derivation (Nix 2.8's post-build-hook gets no OUT_PATHS), read from the
     * .drv file itself when it names them, which saves a program start per built derivation.
     */
    async derivationOutputs(drvPath) {
        const named = await this.outputsInDrvFile(drvPath);
        if (named !== undefined)
            return [...named.values()];
        const { stdout } = await process_runCommand('nix-store', ['--query', '--outputs', drvPath], { env: this.env });
        return stdout.split('\n').filter(l => l !== '');
    }
    /** The path of one output of a derivation (an import from derivation Nix named), from the .drv file when it says. */
    async derivationOutput(drvPath, output) {
        const named = (await this.outputsInDrvFile(drvPath))?.get(output);
        if (named !== undefined)
            return named;
        // Content-addressed: the output has a path only once realised.
        const { stdout } = await command_runNix(['path-info', `${drvPath}^${output}`], { env: this.env, okCodes: [1] });
        return stdout.split('\n').find(line => line.startsWith('/'));
    }
    async outputsInDrvFile(drvPath) {
        const text = await (0,promises_namespaceObject.readFile)(`${storeRoot(this.env)}${drvPath}`, 'utf8').catch(() => undefined);
        return text === undefined ? undefined : derivationFileOutputMap(text);
    }
    /**
     * The closure of `paths` with every path's metadata, dependencies before dependents, from one
     * `nix path-info --recursive`. Undefined when a root is not valid (callers then ask path by path).
     */
    async closureInfos(paths) {
        if (paths.length === 0)
            return [];
        if (paths.length > PATHS_PER_CALL)
            return undefined;
        const { stdout, code } = await command_runNix(['path-info', '--recursive', '--json', ...paths], {
            env: this.env,
            okCodes: [1]
        });
        if (code !== 0)
            return undefined;
        const infos = parsePathInfoJson(JSON.parse(stdout));
        const found = new Set(infos.map(info => info.path));
        if (paths.some(p => !found.has(p)))
            return undefined;
        return dependenciesFirst(infos);
    }
    /** The NAR serialisation of `path`, streamed; the stream errors if nix-store fails. */
    dumpNar(path) {
        const child = (0,external_node_child_process_namespaceObject.spawn)('nix-store', ['--dump', path], { env: childEnv(this.env), stdio: ['ignore', 'pipe', 'pipe'] });
        let stderr = '';
        child.stderr.on('data', (chunk) => {
            stderr += chunk.toString('utf8');
        });
        const done = new Promise((resolve, reject) => {
            child.on('error', error => reject(new Error(`could not start nix-store --dump: ${error.message}`)));
            child.on('close', code => code === 0
                ? resolve()
                : reject(new Error(`nix-store --dump ${path} failed: ${lastLine(stderr) || `exit code ${code}`}`)));
        });
        // Handled from the start: an upload that failed elsewhere may never await it.
        done.catch(() => undefined);
        return { stream: child.stdout, done, kill: () => child.kill('SIGKILL') };
    }
}

;// CONCATENATED MODULE: ./src/machine/disk-space.ts
/**
 * What `free-disk-space` removes on a GitHub-hosted Ubuntu runner: preinstalled toolchains a Nix
 * build never uses, and nothing else. docs/how-it-works.md lists the same entries.
 */
const REMOVED_TOOLCHAINS = [
    { what: '.NET', path: '/usr/share/dotnet' },
    { what: 'Android SDK', path: '/usr/local/lib/android' },
    { what: 'GHC', path: '/opt/ghc' },
    { what: 'ghcup', path: '/usr/local/.ghcup' },
    { what: 'CodeQL', path: '/opt/hostedtoolcache/CodeQL' },
    { what: 'Swift', path: '/usr/share/swift' }
];
/** The paths to remove, under `root` (/ on a runner; a directory standing in for it in tests). */
function disk_space_removalPaths(root) {
    const base = root.replace(/\/+$/, '');
    return REMOVED_TOOLCHAINS.map(t => `${base}${t.path}`);
}
/** Whether this runner is one the list was made for; elsewhere nothing is removed. */
function disk_space_mayFreeDisk(runnerEnvironment, runnerOs) {
    if (runnerEnvironment !== 'github-hosted')
        return {
            ok: false,
            why: `RUNNER_ENVIRONMENT is ${runnerEnvironment === undefined || runnerEnvironment === '' ? 'not set' : `"${runnerEnvironment}"`}, not github-hosted: this runner's software is not the hosted image's, so nothing is removed`
        };
    if (runnerOs !== undefined && runnerOs !== 'Linux')
        return { ok: false, why: `the removal list is for GitHub-hosted Ubuntu, and this runner is ${runnerOs}` };
    return { ok: true };
}
/**
 * Nix's build-dir: the candidate on the file system with the most free space, when that is not
 * the root's (hosted runners have a second, larger disk at /mnt). Undefined keeps Nix's default.
 */
function disk_space_chooseBuildDir(root, others) {
    let best = root;
    for (const fs of others)
        if (fs.device !== root.device && fs.freeBytes > best.freeBytes)
            best = fs;
    return best === root ? undefined : best.mount;
}

;// CONCATENATED MODULE: ./src/util/privileged.ts



const isRoot = () => process.getuid?.() === 0;
/** An existing file must be writable itself; a new one needs a writable directory. */
async function writable(path) {
    try {
        await access(path, constants.W_OK);
        return true;
    }
    catch (error) {
        if (error.code !== 'ENOENT')
            return false;
        return access(dirname(path), constants.W_OK).then(() => true, () => false);
    }
}
/**
 * Writes a root-owned file (nix.conf, binfmt register). Uses sudo when not root, passing the
 * content on stdin so nothing secret ever appears on a command line.
 */
async function privileged_writeSystemFile(path, content, mode = 0o644) {
    if (isRoot() || (await writable(path))) {
        if (!path.startsWith('/proc/'))
            await mkdir(dirname(path), { recursive: true }).catch(() => undefined);
        await writeFile(path, content, { mode });
        return;
    }
    const special = path.startsWith('/proc/');
    if (!special)
        await runCommand('sudo', ['mkdir', '-p', dirname(path)]);
    await runCommand('sudo', ['tee', path], { input: content });
    if (!special)
        await runCommand('sudo', ['chmod', mode.toString(8), path]);
}
/** Runs a command as root: directly when we are root, through sudo otherwise. */
async function privileged_runAsRoot(command, args, input) {
    const { stdout } = isRoot()
        ? await runCommand(command, args, { input })
        : await runCommand('sudo', [command, ...args], { input });
    return stdout;
}

;// CONCATENATED MODULE: ./src/util/fs.ts

/** True when `path` exists (and, with `mode`, may be used that way: constants.X_OK, W_OK). */
async function fs_exists(path, mode = constants.F_OK) {
    return access(path, mode).then(() => true, () => false);
}

;// CONCATENATED MODULE: ./src/machine/free-disk.ts








async function freeBytes(path) {
    const stats = await (0,promises_namespaceObject.statfs)(path);
    return stats.bavail * stats.bsize;
}
/** Free bytes on the file system holding the Nix store (or / before Nix exists). */
async function freeDiskBytes() {
    for (const path of ['/nix/store', '/']) {
        try {
            return await freeBytes(path);
        }
        catch {
            // try the next
        }
    }
    return undefined;
}
const GIB = (/* unused pure expression or super */ null && (1024 ** 3));
async function removeToolchains(root, log) {
    const before = await freeBytes(root);
    const removed = [];
    for (const path of removalPaths(root)) {
        if (!(await exists(path)))
            continue;
        // --one-file-system: a mount inside a toolchain's directory is never followed.
        await runAsRoot('rm', ['-rf', '--one-file-system', path]);
        removed.push(path);
    }
    if (root === '/') {
        const docker = await runCommand('docker', ['image', 'prune', '--all', '--force'], { okCodes: [1] }).catch((error) => ({ code: 127, stderr: errorMessage(error) }));
        if (docker.code === 0)
            removed.push('docker images');
        else
            log.info(`free-disk-space: docker images not pruned (${docker.stderr.trim().split('\n').pop() ?? 'docker failed'})`);
    }
    else
        log.info(`free-disk-space: docker images are pruned only on a real runner, not under ${root}`);
    const reclaimed = Math.max(0, (await freeBytes(root)) - before);
    log.info(`free-disk-space: removed ${removed.join(', ') || 'nothing (none of the list is installed)'}; reclaimed ${(reclaimed / GIB).toFixed(1)} GiB, ${((await freeBytes(root)) / GIB).toFixed(1)} GiB free`);
}
/**
 * Starts removing the preinstalled toolchains in the background (it runs while the hosts
 * evaluate) and returns when it is done. Refuses, with a warning, anywhere but a GitHub-hosted runner.
 */
function startDiskCleanup(env, log) {
    const allowed = mayFreeDisk(env.RUNNER_ENVIRONMENT, env.RUNNER_OS);
    if (!allowed.ok) {
        log.warning(`free-disk-space is true, but ${allowed.why}.`);
        return Promise.resolve();
    }
    const root = diskRoot(env);
    log.info(`free-disk-space: removing ${removalPaths(root).join(' ')} and unused docker images in the background`);
    return removeToolchains(root, log).catch((error) => log.warning(`free-disk-space: ${errorMessage(error)}; the build goes on with the disk as it is`));
}
async function filesystem(mount) {
    try {
        return { mount, device: (await stat(mount)).dev, freeBytes: await freeBytes(mount) };
    }
    catch {
        return undefined;
    }
}
/** Nix's build-dir when another file system (/mnt) has more room than /, made 1777 for the build users. */
async function roomiestBuildDir(env, log) {
    const root = diskRoot(env);
    const rootFs = await filesystem(root);
    const mnt = await filesystem(join(root, 'mnt'));
    if (rootFs === undefined)
        return undefined;
    const choice = chooseBuildDir(rootFs, mnt ? [mnt] : []);
    if (choice === undefined) {
        log.info(`free-disk-space: builds stay on the root file system (${(rootFs.freeBytes / GIB).toFixed(1)} GiB free${mnt ? `, ${mnt.mount} has ${(mnt.freeBytes / GIB).toFixed(1)} GiB` : ''})`);
        return undefined;
    }
    await runAsRoot('chmod', ['1777', choice]);
    log.info(`free-disk-space: Nix builds in ${choice} (${(mnt.freeBytes / GIB).toFixed(1)} GiB free, / has ${(rootFs.freeBytes / GIB).toFixed(1)} GiB)`);
    return choice;
}

;// CONCATENATED MODULE: ./src/util/format.ts
function format_formatBytes(bytes) {
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

;// CONCATENATED MODULE: ./src/util/errors.ts
/** What was thrown, as one message: a rejection or a throw can carry anything, not only an Error. */
function errors_errorMessage(error) {
    if (error instanceof Error)
        return error.message;
    if (typeof error === 'string')
        return error;
    try {
        return JSON.stringify(error);
    }
    catch {
        return String(error);
    }
}
/** What was thrown, as an Error. */
function errors_asError(error) {
    return error instanceof Error ? error : new Error(errors_errorMessage(error));
}

;// CONCATENATED MODULE: ./src/push/heartbeat.ts



const LOW_DISK_BYTES = 2 * 1024 ** 3;
/** What the pusher has done so far, for a heartbeat line. */
function describePushing(totals) {
    return totals
        ? `pushed ${totals.uploaded} paths (${format_formatBytes(totals.uploadedFileBytes)}), ${totals.pending} waiting`
        : 'not pushing';
}
/**
 * Every `intervalMs` until stopped, one line saying what is going on (`describe`), how long it
 * has run and how much disk is left; a warning when the disk is nearly full. Builds and pushes
 * can each go quiet for many minutes, and a silent log looks like a hang.
 */
function startHeartbeat(intervalMs, log, describe) {
    const started = Date.now();
    const timer = setInterval(() => {
        void (async () => {
            const free = await freeDiskBytes();
            const minutes = Math.round((Date.now() - started) / 60000);
            log.info(`[heartbeat ${minutes} min] ${describe()}, disk free ${free === undefined ? 'unknown' : format_formatBytes(free)}`);
            if (free !== undefined && free < LOW_DISK_BYTES)
                log.warning(`Only ${format_formatBytes(free)} of disk left for the Nix store: builds may fail soon; what is built is being pushed.`);
        })().catch((error) => log.info(`[heartbeat] ${errors_errorMessage(error)}`));
    }, intervalMs);
    return () => clearInterval(timer);
}

;// CONCATENATED MODULE: ./src/nix/build-log.ts
/** Nix logs this line for every derivation it builds, locally or on a remote builder (2.8 to 2.34). */
const BUILDING = /^building '(\/nix\/store\/[^']+\.drv)'/;
/** The derivation a line of Nix's log says it starts building, if it is such a line. */
function derivationBuilding(line) {
    return BUILDING.exec(line)?.[1];
}
/** "building '<drv>' on '<builder>'": a derivation Nix hands to a remote builder (2.8 to 2.34). */
const BUILDING_ON = /^building '(\/nix\/store\/[^']+\.drv)' on '([^']+)'/;
/** The derivation and the builder, when the line says Nix builds it on a remote builder. */
function remoteBuilding(line) {
    const match = BUILDING_ON.exec(line);
    return match ? { drvPath: match[1], builder: match[2] } : undefined;
}

;// CONCATENATED MODULE: ./src/nix-build/hook-liveness.ts

/**
 * Tells whether the post-build-hook runs. Nix says "building '<drv>'" when a build starts, and
 * the hook appends a spool line when one has finished. A build that has finished while the
 * spool stays empty means the daemon never loaded the hook: nothing streams to the cache.
 */
class HookLiveness {
    isFinished;
    graceMs;
    now;
    started = [];
    spooled = 0;
    finishedAt;
    verdict = 'unknown';
    constructor(
    /** True once every output of the derivation is valid. */
    isFinished, 
    /** How long a finished build may wait for its spool line (the hook runs after outputs are valid). */
    graceMs = 5000, now = Date.now) {
        this.isFinished = isFinished;
        this.graceMs = graceMs;
        this.now = now;
    }
    onLogLine(line) {
        const drvPath = derivationBuilding(line);
        if (drvPath !== undefined && !this.started.includes(drvPath))
            this.started.push(drvPath);
    }
    onSpooled(entries) {
        this.spooled += entries;
        if (this.spooled > 0)
            this.verdict = 'runs';
    }
    /** While building. True when this check decided the hook is silent. */
    async check() {
        if (this.verdict !== 'unknown' || this.started.length === 0)
            return false;
        if (this.finishedAt === undefined) {
            // The oldest build started first; with several jobs another may finish first, which only delays the verdict.
            if (await this.isFinished(this.started[0]))
                this.finishedAt = this.now();
            return false;
        }
        if (this.spooled > 0 || this.now() - this.finishedAt < this.graceMs)
            return false;
        this.verdict = 'silent';
        return true;
    }
    /**
     * After nix exited and the spool was read to its end: the derivations that were built while
     * the hook stayed silent (empty when it ran, or when nothing was built).
     */
    async builtWithoutHook() {
        if (this.spooled > 0)
            return [];
        const built = [];
        for (const drv of this.started)
            if (await this.isFinished(drv))
                built.push(drv);
        if (built.length > 0)
            this.verdict = 'silent';
        return built;
    }
}
/** What to tell the user; `built` is known once nix has exited, not while it still builds. */
function silentHookMessage(built) {
    const what = built === undefined ? 'A derivation was' : `${built} derivation${built === 1 ? ' was' : 's were'}`;
    return (`${what} built but the post-build-hook never ran, so nothing was pushed while building: ` +
        "the nix-daemon did not load the hook this action wrote to nix.conf (it reads nix.conf only when it starts, and it is not systemd's nix-daemon.service or its restart failed: see the Configure Nix group). " +
        "The push after the build still uploads the closures of what was built. To stream while building, run the daemon as systemd's nix-daemon.service (which this action restarts) or use a single-user Nix.");
}

;// CONCATENATED MODULE: external "node:readline"
const external_node_readline_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:readline");
;// CONCATENATED MODULE: ./src/nix-build/nix-build.ts




/** How long nix gets to act on SIGINT, and then on SIGTERM, before the next signal. */
const STOP_GRACE_MS = 10_000;
/** ms the build may run before it must stop so the drain and nix's stop still fit the budget; undefined without a budget. */
function buildBudgetMs(timeBudgetMinutes, drainTimeoutSeconds, stopGraceMs, elapsedMs) {
    if (timeBudgetMinutes === undefined)
        return undefined;
    // Stopping nix may take its two grace periods (SIGINT, then SIGTERM, then SIGKILL): they come out of the build's share, not the drain's.
    return Math.max(0, timeBudgetMinutes * 60_000 - drainTimeoutSeconds * 1000 - 2 * stopGraceMs - elapsedMs);
}
function buildArgs(installables, options) {
    const args = [...NIX_FLAKES_ARGS, 'build', '--no-link', '--print-build-logs'];
    if (options.keepGoing)
        args.push('--keep-going');
    return [...args, ...options.extraArgs, ...installables];
}
const SIGNAL_CODES = { SIGINT: 130, SIGTERM: 143, SIGKILL: 137 };
/** Starts one `nix build` for all installables, so they share one build graph; each stderr line goes to `onLine`. */
function startBuild(args, env, onLine) {
    const child = (0,external_node_child_process_namespaceObject.spawn)('nix', args, { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    // What nix build prints on stdout (nothing without --json) is not needed: the spool says what was built.
    child.stdout?.resume();
    const lines = (0,external_node_readline_namespaceObject.createInterface)({ input: child.stderr });
    lines.on('line', onLine);
    const timers = [];
    let stopping = false;
    const done = new Promise(resolve => {
        child.on('error', () => resolve(127));
        child.on('close', (code, signal) => resolve(code ?? SIGNAL_CODES[signal ?? 'SIGINT'] ?? 1));
        // A nix that had to be stopped may leave processes that still hold its pipes: once it is
        // gone, wait for them only briefly (not at all after SIGKILL).
        child.on('exit', (code, signal) => {
            if (!stopping)
                return;
            const give = () => {
                child.stdout?.destroy();
                child.stderr?.destroy();
                resolve(code ?? SIGNAL_CODES[signal ?? 'SIGKILL'] ?? 1);
            };
            if (signal === 'SIGKILL')
                give();
            else
                timers.push(setTimeout(give, 1000));
        });
    }).finally(() => {
        for (const timer of timers)
            clearTimeout(timer);
    });
    const stop = (graceMs = STOP_GRACE_MS) => {
        if (stopping || child.exitCode !== null || child.signalCode !== null)
            return;
        stopping = true;
        child.kill('SIGINT');
        timers.push(setTimeout(() => child.kill('SIGTERM'), graceMs), setTimeout(() => child.kill('SIGKILL'), 2 * graceMs));
    };
    return { child, done, stop };
}
/** Reads `nix build --dry-run` stderr: the derivations it would build and the paths it would fetch. */
function parseDryRun(stderr) {
    const plan = { toBuild: [], toFetch: [], unknown: [] };
    let section;
    for (const line of stderr.split('\n')) {
        if (/^(this derivation|these \d+ derivations) will be built:/.test(line))
            section = plan.toBuild;
        else if (/^(this path|these \d+ paths) will be fetched/.test(line))
            section = plan.toFetch;
        else if (/^don't know how to build these paths/.test(line))
            section = plan.unknown;
        else if (/^\s+\/nix\/store\//.test(line) && section)
            section.push(line.trim());
        else
            section = undefined;
    }
    return plan;
}

;// CONCATENATED MODULE: ./src/nix-build/post-build-hook.ts
/**
 * The post-build-hook script. Nix runs it after every local build and blocks its build loop
 * until it returns (≤2.34), and a failing hook stops further builds, so it only appends one
 * line to the spool and always exits 0. The action reads the spool and does the network work.
 * Nix 2.8.0 passes an empty OUT_PATHS, so DRV_PATH is recorded too.
 */
function renderHookScript(spoolFile, chainedHook) {
    const quoted = shellQuote(spoolFile);
    const lines = [
        '#!/bin/sh',
        '# Written by nix-cachix-build: records what Nix built; never networks, never fails.',
        `printf '%s %s\\n' "$DRV_PATH" "$OUT_PATHS" >> ${quoted} 2>/dev/null`
    ];
    if (chainedHook !== undefined)
        lines.push(`${shellQuote(chainedHook)} >&2 || true`);
    lines.push('exit 0', '');
    return lines.join('\n');
}
function shellQuote(text) {
    return `'${text.replace(/'/g, `'\\''`)}'`;
}
/** Splits complete spool lines; a trailing partial line is left for the next read. */
function parseSpool(text) {
    const lastNewline = text.lastIndexOf('\n');
    const complete = lastNewline >= 0 ? text.slice(0, lastNewline) : '';
    const rest = text.slice(lastNewline + 1);
    const entries = [];
    for (const line of complete.split('\n')) {
        const words = line
            .trim()
            .split(/\s+/)
            .filter(w => w !== '');
        if (words.length === 0 || !words[0].startsWith('/'))
            continue;
        entries.push({ drvPath: words[0], outPaths: words.slice(1) });
    }
    return { entries, rest };
}

;// CONCATENATED MODULE: ./src/nix-build/spool.ts


/** Follows the post-build-hook's spool file from where it last read. */
class SpoolReader {
    file;
    onEntries;
    offset = 0;
    rest = '';
    timer;
    reading = Promise.resolve();
    constructor(file, onEntries) {
        this.file = file;
        this.onEntries = onEntries;
    }
    start(intervalMs = 250) {
        this.timer = setInterval(() => {
            void this.poll();
        }, intervalMs);
    }
    /** Reads whatever is new now; resolves once it has been handed on. */
    poll() {
        this.reading = this.reading.then(() => this.readNew()).catch(() => undefined);
        return this.reading;
    }
    async stop() {
        clearInterval(this.timer);
        await this.poll();
    }
    async readNew() {
        const handle = await (0,promises_namespaceObject.open)(this.file, 'r').catch(() => undefined);
        if (!handle)
            return;
        try {
            const { size } = await handle.stat();
            if (size <= this.offset)
                return;
            const buffer = Buffer.alloc(size - this.offset);
            const { bytesRead } = await handle.read(buffer, 0, buffer.length, this.offset);
            this.offset += bytesRead;
            const { entries, rest } = parseSpool(this.rest + buffer.subarray(0, bytesRead).toString('utf8'));
            this.rest = rest;
            if (entries.length > 0)
                this.onEntries(entries);
        }
        finally {
            await handle.close();
        }
    }
}
/** Everything the spool holds, read once (the post step's salvage). */
async function readWholeSpool(file) {
    const collected = [];
    const reader = new SpoolReader(file, entries => collected.push(...entries));
    await reader.poll();
    return collected;
}
/**
 * The output paths of a spooled build: as the hook got them in OUT_PATHS, or from its
 * derivation when the hook was given none.
 */
async function spooledOutputs(entry, store) {
    return entry.outPaths.length > 0 ? entry.outPaths : store.derivationOutputs(entry.drvPath);
}
/**
 * Everything the post-build hook spooled in this job, read once at the end. Most of it the build
 * already followed; what it adds is what was built while the hosts evaluated (import from
 * derivation) in a job that then had nothing to build, e.g. every host cached, where no build
 * read the spool at all.
 */
async function spooledBuilds(spoolFile, store) {
    const drvPaths = new Set();
    const outputs = [];
    for (const entry of await readWholeSpool(spoolFile)) {
        drvPaths.add(entry.drvPath);
        outputs.push(...(await spooledOutputs(entry, store).catch(() => [])));
    }
    return { drvPaths: [...drvPaths], outputs: [...(await store.validPaths(outputs))] };
}

;// CONCATENATED MODULE: ./src/nix-build/build-and-push.ts






/**
 * One `nix build` for everything, while the spool the post-build-hook writes is followed and
 * every finished output goes straight to the pusher. A heartbeat says what is going on.
 */
async function buildAndPush(plan) {
    const store = new NixStore(plan.env);
    const log = plan.log;
    const started = Date.now();
    const outcome = {
        exitCode: 0,
        builtDrvs: [],
        builtOutputs: [],
        finishedAt: new Map(),
        seconds: 0,
        warnings: []
    };
    const resolving = [];
    const recordBuilt = (entry) => {
        const { drvPath } = entry;
        outcome.builtDrvs.push(drvPath);
        plan.onBuilt?.(outcome.builtDrvs.length);
        resolving.push(spooledOutputs(entry, store)
            .then(outputs => {
            outcome.builtOutputs.push(...outputs);
            for (const output of outputs)
                outcome.finishedAt.set(output, Date.now() - started);
            plan.pusher?.add(outputs);
        })
            .catch((error) => log.warning(`could not read the outputs of ${drvPath}: ${errors_errorMessage(error)}`)));
    };
    const hook = new HookLiveness(drvPath => allOutputsValid(store, drvPath));
    const spool = new SpoolReader(plan.spoolFile, entries => {
        hook.onSpooled(entries.length);
        for (const entry of entries)
            recordBuilt(entry);
    });
    spool.start();
    const build = startBuild(buildArgs(plan.installables, { keepGoing: plan.keepGoing, extraArgs: plan.extraArgs }), plan.env, line => {
        hook.onLogLine(line);
        log.info(line);
    });
    // Where the warning about a silent hook stands in outcome.warnings, while it stands.
    let silentAt;
    const silentHook = (built) => {
        const message = silentHookMessage(built);
        log.warning(message);
        silentAt = outcome.warnings.push(message) - 1;
    };
    const stopHeartbeat = startHeartbeat(plan.heartbeatMs, log, () => `built ${outcome.builtDrvs.length} derivations, ${describePushing(plan.pusher?.totals())}`);
    let checking = false;
    let ended = false;
    const hookTimer = setInterval(() => {
        if (checking)
            return;
        checking = true;
        hook
            .check()
            .then(silent => silent && !ended && silentHook())
            .catch(() => undefined)
            .finally(() => {
            checking = false;
        });
    }, plan.hookCheckMs ?? 5000);
    let budgetTimer;
    if (plan.stopBuildingAfterMs !== undefined) {
        budgetTimer = setTimeout(() => {
            outcome.interrupted = 'time-budget';
            log.warning('The time budget is reached: stopping the build so what was built can still be pushed.');
            build.stop();
        }, plan.stopBuildingAfterMs);
    }
    const onSignal = () => {
        outcome.interrupted = 'cancelled';
        build.stop();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
        outcome.exitCode = await build.done;
    }
    finally {
        ended = true;
        stopHeartbeat();
        clearInterval(hookTimer);
        clearTimeout(budgetTimer);
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
        await spool.stop();
        const unhooked = await hook.builtWithoutHook().catch(() => []);
        if (unhooked.length > 0) {
            // What the hook should have reported: counted, and queued now rather than never.
            for (const drvPath of unhooked)
                recordBuilt({ drvPath, outPaths: [] });
            if (silentAt === undefined)
                silentHook(unhooked.length);
            else
                outcome.warnings[silentAt] = silentHookMessage(unhooked.length);
        }
        else if (silentAt !== undefined && hook.verdict === 'runs') {
            outcome.warnings.splice(silentAt, 1);
            log.info('The post-build-hook did run in the end: it was only slow.');
        }
        await Promise.all(resolving);
        outcome.seconds = (Date.now() - started) / 1000;
    }
    return outcome;
}
async function allOutputsValid(store, drvPath) {
    const outputs = await store.derivationOutputs(drvPath);
    for (const output of outputs)
        if (!(await store.isValid(output)))
            return false;
    return outputs.length > 0;
}

;// CONCATENATED MODULE: ./src/hosts/eval-error.ts
/**
 * What a failed `nix eval` says, in a few lines: the message first, then the first lines from
 * its first `error:` on. Warnings such as a dirty Git tree come before it and say nothing
 * about the failure; newer Nix prints the trace first and the message (its last `error: …`)
 * at the end, where a short excerpt would lose it.
 */
function errorExcerpt(stderr, maxLines = 6) {
    const lines = stderr
        .split('\n')
        .map(l => l.trimEnd())
        .filter(l => l.trim() !== '');
    const start = lines.findIndex(l => l.startsWith('error:'));
    let from = start < 0 ? lines.filter(l => !l.startsWith('warning:')) : lines.slice(start);
    const message = from
        .filter(l => /^\s*error: \S/.test(l))
        .pop()
        ?.trim();
    if (message !== undefined && from[0] !== message)
        from = [message, ...from.filter(l => l.trim() !== message && l !== 'error:')];
    const shown = from.slice(0, maxLines);
    if (from.length > maxLines)
        shown.push(`… (${from.length - maxLines} more lines)`);
    return shown.join('\n') || 'nix eval failed without an error message';
}

;// CONCATENATED MODULE: ./src/nix/eval-log.ts
/**
 * What an evaluation says of itself in Nix's machine-readable log (`--log-format internal-json`,
 * the same from 2.8 to 2.34). Import from derivation shows there even when the import is valid
 * already, which a plain log never says: to read a derivation's output, evaluation realises it
 * every time (a "realise" activity whose derivation goals count at least one), and Nix with
 * `trace-import-from-derivation` (2.34 has it, 2.8 has not) names it in a warning just before.
 */
/** Arguments that make `nix eval` write this log on stderr. Nix without the setting ignores it. */
const EVAL_LOG_ARGS = ['--log-format', 'internal-json', '--option', 'trace-import-from-derivation', 'true'];
// ActivityType and ResultType (src/libutil/logging.hh, unchanged from 2.8 to 2.34).
const ACT_REALISE = 102;
const ACT_BUILDS = 104;
const ACT_BUILD = 105;
const RES_PROGRESS = 105;
/** Verbosity of Nix's default log (lvlInfo): what a plain log shows. */
const LVL_INFO = 3;
const TRACED = /^warning: built '(\/nix\/store\/[^']+\.drv)[\^!]([^']+)' during evaluation due to an import from derivation$/;
/** A Nix that predates the setting says so once; the setting is ours, not the user's. */
const UNKNOWN_SETTING = /^warning: unknown setting 'trace-import-from-derivation'$/;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;
function entryOf(line) {
    if (!line.startsWith('@nix '))
        return undefined;
    try {
        const parsed = JSON.parse(line.slice(5));
        return typeof parsed === 'object' && parsed !== null ? parsed : undefined;
    }
    catch {
        return undefined;
    }
}
/** What one evaluation, or one part of it, said. */
class Reading {
    text = [];
    built = new Set();
    named = new Map();
    realisations = [];
    // Activity id → the realisation it belongs to (its own, or the one its "builds" count is for).
    realisationOf = new Map();
    open = new Set();
    namedSince = 0;
    say(plain) {
        const traced = TRACED.exec(plain);
        if (traced !== null) {
            this.named.set(`${traced[1]}^${traced[2]}`, { drvPath: traced[1], output: traced[2] });
            this.namedSince++;
        }
        else if (!UNKNOWN_SETTING.test(plain))
            this.text.push(plain);
    }
    take(entry) {
        const id = entry.id;
        if (entry.action === 'start' && typeof id === 'number') {
            if (entry.type === ACT_REALISE) {
                const realisation = { named: this.namedSince, derivations: 0 };
                this.namedSince = 0;
                this.realisations.push(realisation);
                this.realisationOf.set(id, realisation);
                this.open.add(realisation);
            }
            else if (entry.type === ACT_BUILDS) {
                const current = this.realisations.at(-1);
                if (current !== undefined && this.open.has(current))
                    this.realisationOf.set(id, current);
            }
            if (entry.type === ACT_BUILD && typeof entry.fields?.[0] === 'string')
                this.built.add(entry.fields[0]);
        }
        if (entry.action === 'result' && entry.type === RES_PROGRESS && typeof id === 'number') {
            const realisation = this.realisationOf.get(id);
            const expected = entry.fields?.[1];
            if (realisation !== undefined && typeof expected === 'number')
                realisation.derivations = Math.max(realisation.derivations, expected);
        }
        if (entry.action === 'stop' && typeof id === 'number') {
            const realisation = this.realisationOf.get(id);
            if (realisation !== undefined)
                this.open.delete(realisation);
        }
    }
    result() {
        // A realisation without derivation goals only fetched a path (a flake input to substitute): no import.
        const imports = this.realisations.filter(r => r.derivations > 0);
        return {
            text: this.text.join('\n'),
            built: [...this.built],
            realisations: imports.length,
            named: [...this.named.values()],
            complete: imports.every(r => r.named > 0 && r.derivations <= r.named)
        };
    }
}
/** What `markEvaluation` makes Nix print before it evaluates a part ("trace: " comes first). */
const MARKER = 'nix-cachix-build evaluates ';
/**
 * A Nix expression that is `value`, and says in the log that `name` (an expression for a string)
 * is evaluated from here on: one `nix eval` of several hosts then tells each host's imports apart.
 */
function markEvaluation(name, value) {
    return `builtins.trace "${MARKER}\${${name}}" (${value})`;
}
/**
 * Reads an evaluation's stderr written with EVAL_LOG_ARGS; lines that are not log entries are kept
 * as text. An import that several parts share counts for the part that realised it first, unless
 * the others import it anew (each `import` realises its path again).
 */
function parseEvalLog(stderr) {
    const all = new Reading();
    const parts = new Map();
    let part;
    const say = (message) => {
        const plain = message.replace(ANSI, '');
        if (plain.startsWith(`trace: ${MARKER}`)) {
            const name = plain.slice(`trace: ${MARKER}`.length);
            part = parts.get(name) ?? new Reading();
            parts.set(name, part);
            return;
        }
        all.say(plain);
        part?.say(plain);
    };
    for (const line of stderr.split('\n')) {
        const entry = entryOf(line);
        if (entry === undefined) {
            if (line.trim() !== '')
                say(line);
            continue;
        }
        if (entry.action === 'msg' && typeof entry.msg === 'string' && (entry.level ?? 0) <= LVL_INFO)
            say(entry.msg);
        all.take(entry);
        part?.take(entry);
        if (entry.action === 'start' &&
            (entry.level ?? 0) <= LVL_INFO &&
            typeof entry.text === 'string' &&
            entry.text !== '')
            say(entry.text);
    }
    return { ...all.result(), parts: new Map([...parts].map(([name, reading]) => [name, reading.result()])) };
}

;// CONCATENATED MODULE: ./src/hosts/eval-imports.ts










/** The output path of each import Nix named, read from its .drv file (Nix is asked when the file does not say). */
async function namedImportPaths(named, env) {
    const store = new NixStore(env);
    const paths = new Set();
    for (const { drvPath, output } of named) {
        const path = await store.derivationOutput(drvPath, output);
        if (path !== undefined)
            paths.add(path);
    }
    return [...paths];
}
/** Removes a scratch store: Nix makes its store directories read-only. */
async function removeStore(dir) {
    await process_runCommand('chmod', ['-R', 'u+w', dir], { okCodes: [1] }).catch(() => undefined);
    await (0,promises_namespaceObject.chmod)(dir, 0o755).catch(() => undefined);
    await (0,promises_namespaceObject.rm)(dir, { recursive: true, force: true });
}
/**
 * What an evaluation imports, found by running it again with a scratch store as its evaluation
 * store: every import is realised into that store (Nix before 2.20 realises imports in the
 * evaluation store, later ones build them in the build store and copy them there), substituted
 * from the local store, where the first evaluation made them valid, and never built (max-jobs 0,
 * no builders). The store then holds the imports' closures, the .drv files evaluation wrote, and
 * the sources it copied; of these, the imports are the paths a derivation made.
 *
 * `nixArgs` is the evaluation as `nix` arguments (`eval …`); it must not already name a store.
 */
async function probeImports(nixArgs, env) {
    const dir = await (0,promises_namespaceObject.mkdtemp)((0,external_node_path_namespaceObject.join)((0,external_node_os_namespaceObject.tmpdir)(), 'nix-cachix-build-imports-'));
    const store = `local?root=${dir}&require-sigs=false`;
    try {
        const evaluated = await command_runNix([
            ...nixArgs,
            '--eval-store',
            store,
            '--option',
            'substituters',
            'auto?trusted=1',
            '--option',
            'builders',
            '',
            '--max-jobs',
            '0',
            '--option',
            'eval-cache',
            'false'
        ], { env, okCodes: [1, 100] });
        // 100: an import that is not valid any more, which max-jobs 0 refuses to build.
        if (evaluated.code !== 0)
            throw new Error(errorExcerpt(evaluated.stderr));
        const listed = await command_runNix(['path-info', '--json', '--store', store, '--all'], { env });
        return parsePathInfoJson(JSON.parse(listed.stdout))
            .filter(info => info.deriver !== undefined && !info.path.endsWith('.drv'))
            .map(info => info.path);
    }
    finally {
        await removeStore(dir);
    }
}
/**
 * The imports of an evaluation whose log is `log`: none when it realised nothing, what Nix named
 * when it named every one, else what evaluating `nixArgs` again into a scratch store realises.
 */
async function evaluationImports(log, nixArgs, env) {
    if (log.realisations === 0)
        return { paths: [], how: 'none' };
    if (log.complete)
        return { paths: await namedImportPaths(log.named, env), how: 'named' };
    try {
        return { paths: await probeImports(nixArgs, env), how: 'scratch-store' };
    }
    catch (error) {
        return { paths: await namedImportPaths(log.named, env), how: 'scratch-store', error: errors_errorMessage(error) };
    }
}
/** `nix eval` with its log read (EVAL_LOG_ARGS): exit code 1 is returned, not thrown; `log.text` is what a plain log says. */
async function evalWithLog(args, env) {
    // 100: an import from derivation could not be built (max-jobs 0, a failed build); the log says why, in a line.
    const result = await command_runNix([...args, ...EVAL_LOG_ARGS], { env, okCodes: [1, 100] });
    return { code: result.code, stdout: result.stdout, log: parseEvalLog(result.stderr) };
}
/**
 * The imports of a derivation (a host's toplevel, a pre-warm attribute) whose evaluation logged
 * `log`; when Nix did not name them all, it alone is evaluated again into a scratch store.
 */
async function attributeImports(flake, attribute, log, env) {
    return evaluationImports(log, ['eval', '--raw', `${flake}#${attribute}.drvPath`], env);
}

;// CONCATENATED MODULE: ./src/hosts/configurations.ts
/**
 * The three kinds of machine a flake can describe, and how a host name resolves across them.
 * Pure: the evaluation that lists and reads configurations lives in flake.ts.
 */

// The order a plain name is looked up in, and the order the kinds are listed in messages.
const configurations_KINDS = [
    {
        kind: 'nixos',
        output: 'nixosConfigurations',
        buildPath: 'config.system.build.toplevel',
        closureName: 'toplevel',
        label: 'NixOS'
    },
    { kind: 'darwin', output: 'darwinConfigurations', buildPath: 'system', closureName: 'system', label: 'nix-darwin' },
    {
        kind: 'home',
        output: 'homeConfigurations',
        buildPath: 'activationPackage',
        closureName: 'activation package',
        label: 'home-manager'
    }
];
function kindSpec(kind) {
    const spec = configurations_KINDS.find(k => k.kind === kind);
    if (spec === undefined)
        throw new Error(`unknown configuration kind ${String(kind)}`);
    return spec;
}
function configurations_noConfigurations() {
    return { nixos: [], darwin: [], home: [] };
}
function nixString(text) {
    return JSON.stringify(text).replace(/\$\{/g, '\\${');
}
// Nix attribute names as a host list has them: identifiers with - ' _, and the @ and . that
// home-manager's user@host names use. Commas and blanks separate the list, so never in a name.
const NAME = /^[A-Za-z0-9_][A-Za-z0-9_'@.+-]*$/;
const PREFIX = /^([A-Za-z]+):(.*)$/;
/** Parses `name` or `kind:name`; the error says what is wrong with it. */
function configurations_parseHostReference(text) {
    const prefixed = PREFIX.exec(text);
    if (prefixed) {
        const kind = configurations_KINDS.find(k => k.kind === prefixed[1])?.kind;
        if (kind === undefined)
            throw new Error(`"${text}" has the prefix ${prefixed[1]}:, which is none of ${configurations_KINDS.map(k => `${k.kind}:`).join(', ')}`);
        if (!NAME.test(prefixed[2]))
            throw new Error(`"${text}" is not ${kind}:NAME with NAME an attribute name of ${kindSpec(kind).output}`);
        return { kind, attribute: prefixed[2] };
    }
    if (!NAME.test(text))
        throw new Error(`"${text}" is not a host name (a configuration's attribute name, optionally prefixed with nixos:, darwin: or home:)`);
    return { attribute: text };
}
function kindsHaving(names, name) {
    return configurations_KINDS.filter(k => names[k.kind].includes(name)).map(k => k.kind);
}
/**
 * What outputs call a configuration: its plain name when no other kind has that name, else
 * kind:name. Either way it is a reference that resolves back to the same configuration.
 */
function hostId(ref, names) {
    return kindsHaving(names, ref.attribute).length > 1 ? `${ref.kind}:${ref.attribute}` : ref.attribute;
}
/** Every configuration of every kind, ordered by id. */
function configurations_allHosts(names) {
    return configurations_KINDS.flatMap(k => names[k.kind].map(attribute => ({ kind: k.kind, attribute, id: hostId({ kind: k.kind, attribute }, names) }))).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
function everything(names) {
    const all = configurations_KINDS.flatMap(k => names[k.kind].map(name => `${k.kind}:${name}`));
    return all.length === 0 ? 'no nixosConfigurations, darwinConfigurations or homeConfigurations' : all.join(', ');
}
/**
 * The configuration `reference` names. A plain name must be in exactly one kind's output;
 * kind:name looks in that kind only. The error is one line naming the candidates.
 */
function resolveHost(reference, names) {
    const ref = configurations_parseHostReference(reference);
    if (ref.kind !== undefined) {
        if (!names[ref.kind].includes(ref.attribute))
            throw new Error(`host ${reference} not found: ${kindSpec(ref.kind).output} has no ${ref.attribute} (the flake has: ${everything(names)})`);
        return { kind: ref.kind, attribute: ref.attribute, id: hostId({ kind: ref.kind, attribute: ref.attribute }, names) };
    }
    const kinds = kindsHaving(names, ref.attribute);
    if (kinds.length === 0)
        throw new Error(`host ${reference} not found (the flake has: ${everything(names)})`);
    if (kinds.length > 1)
        throw new Error(`host ${reference} is ambiguous: it is ${kinds.map(k => `${k}:${ref.attribute}`).join(' and ')}; write one of those`);
    return { kind: kinds[0], attribute: ref.attribute, id: ref.attribute };
}
/** Each reference resolved, the first of two that name the same configuration kept; throws on the first bad one. */
function resolveHosts(references, names) {
    const hosts = [];
    for (const reference of references) {
        const host = resolveHost(reference, names);
        if (!hosts.some(h => h.id === host.id))
            hosts.push(host);
    }
    return hosts;
}
/** Like resolveHost, but undefined where that would throw: a base revision may lack a host or name it twice. */
function findHost(reference, names) {
    try {
        return resolveHost(reference, names);
    }
    catch {
        return undefined;
    }
}
/** The flake attribute path of what the machine switches to. */
function attributePath(ref) {
    const spec = kindSpec(ref.kind);
    return `${spec.output}.${nixString(ref.attribute)}.${spec.buildPath}`;
}
function installable(flake, ref) {
    return `${flake}#${attributePath(ref)}`;
}
/**
 * Nix functions over one kind's output (the configurations by name). Each reads the derivation
 * at the kind's build path; its `system` attribute is what the builder must run, so it picks the runner.
 */
function derivationOf(kind, c) {
    return `${c}.${kindSpec(kind).buildPath}`;
}
function only(names) {
    return `{ ${names.map(n => `${nixString(n)} = null;`).join(' ')} }`;
}
/** Every configuration's system; with `wanted`, the others are null and never evaluated. */
function configurations_systemsExpression(kind, wanted = []) {
    if (wanted.length === 0)
        return `cs: builtins.mapAttrs (n: c: ${derivationOf(kind, 'c')}.system) cs`;
    return `cs: builtins.mapAttrs (n: c: if ${only(wanted)} ? \${n} then ${derivationOf(kind, 'c')}.system else null) cs`;
}
/**
 * System, derivation, output and nix.settings caches of the named configurations. All three
 * kinds have nix.settings (home-manager's writes the user's nix.conf); a configuration without
 * it declares no caches. Each configuration's part of the log is marked with its name (markEvaluation),
 * so that its imports are told apart from the others'. Keys avoid outPath: Nix turns any set with an outPath into that string in JSON.
 */
function detailsExpression(kind, names) {
    const details = `let t = ${derivationOf(kind, 'c')}; s = c.config.nix.settings or {}; in {
    system = t.system; drv = t.drvPath; out = t.outPath;
    substituters = (s.substituters or []) ++ (s.extra-substituters or []);
    trustedPublicKeys = (s.trusted-public-keys or []) ++ (s.extra-trusted-public-keys or []);
  }`;
    return `cs: builtins.mapAttrs (n: c: ${markEvaluation('n', details)}) (builtins.intersectAttrs ${only(names)} cs)`;
}
/** The output paths of the named configurations, for a closure diff's base. */
function outPathsExpression(kind, names) {
    return `cs: builtins.mapAttrs (n: c: { out = ${derivationOf(kind, 'c')}.outPath; }) (builtins.intersectAttrs ${only(names)} cs)`;
}
/**
 * True when a failed `nix eval` of `output` failed because the flake has no such output, which
 * for darwinConfigurations and homeConfigurations just means the flake has none of that kind.
 */
function isMissingOutput(stderr, output) {
    return new RegExp(`does not provide attribute [^\\n]*'${output}'`).test(stderr);
}
/** Groups configurations by kind, keeping their order. */
function byKind(refs) {
    return configurations_KINDS.map(k => [k.kind, refs.filter(r => r.kind === k.kind)]).filter(([, group]) => group.length > 0);
}

;// CONCATENATED MODULE: ./src/hosts/flake.ts




/** `apply` over the flake's `output`, as JSON; undefined when the flake has no such output. */
async function evalFlakeOutput(flake, output, apply, env, extraArgs) {
    const result = await command_runNix(['eval', '--json', `${flake}#${output}`, '--apply', apply, ...extraArgs], {
        env,
        okCodes: [1]
    });
    if (result.code === 0)
        return JSON.parse(result.stdout);
    if (isMissingOutput(result.stderr, output))
        return undefined;
    throw new Error(`could not evaluate ${flake}#${output}: ${errorExcerpt(result.stderr)}`);
}
/**
 * `apply` (per kind) over each kind's output, one `nix eval` per kind. A flake without
 * darwinConfigurations or homeConfigurations has none of them (undefined); one with none of the
 * three outputs is a mistake.
 */
async function eachKind(flake, apply, env, extraArgs) {
    const found = {};
    const evaluate = async (spec) => {
        const value = await evalFlakeOutput(flake, spec.output, apply(spec.kind), env, extraArgs);
        if (value !== undefined)
            found[spec.kind] = value;
    };
    // The first alone: on a store nothing has opened yet (a laptop's own store), concurrent
    // evaluations race to create its database and Nix 2.34 fails one of them with "is busy".
    // It also copies the flake into the store once, for the others to reuse.
    const [first, ...rest] = configurations_KINDS;
    await evaluate(first);
    await Promise.all(rest.map(evaluate));
    if (Object.keys(found).length === 0)
        throw new Error(`${flake} has no nixosConfigurations, darwinConfigurations or homeConfigurations: point flake at the flake that defines the machines`);
    return found;
}
/** The configuration names of each kind; attrNames evaluates no configuration. */
async function configurationNames(flake, env, extraArgs = []) {
    const found = await eachKind(flake, () => 'builtins.attrNames', env, extraArgs);
    const names = configurations_noConfigurations();
    for (const spec of configurations_KINDS)
        names[spec.kind] = (found[spec.kind] ?? []).sort();
    return names;
}
/** Every host of every kind and its system, names and systems from the same evaluation (one per kind). */
async function allHostSystems(flake, env, extraArgs = []) {
    const found = await eachKind(flake, kind => systemsExpression(kind), env, extraArgs);
    const names = noConfigurations();
    for (const spec of KINDS)
        names[spec.kind] = Object.keys(found[spec.kind] ?? {}).sort();
    const systems = {};
    for (const host of allHosts(names))
        systems[host.id] = found[host.kind][host.attribute];
    return { names, systems };
}
/**
 * Each host's system, derivation, output and caches, one `nix eval` per kind, and what each
 * host's evaluation imports (import from derivation, valid already or not): the log of that same
 * evaluation tells which hosts import anything, so a host without imports costs nothing more.
 */
async function hostDetails(flake, hosts, env) {
    const found = new Map();
    await Promise.all(byKind(hosts).map(async ([kind, group]) => {
        const output = kindSpec(kind).output;
        const apply = detailsExpression(kind, group.map(h => h.attribute));
        const { code, stdout, log } = await evalWithLog(['eval', '--json', `${flake}#${output}`, '--apply', apply], env);
        if (code !== 0)
            throw new Error(`could not evaluate ${flake}#${output}: ${errorExcerpt(log.text)}`);
        const raw = JSON.parse(stdout);
        for (const host of group) {
            const { system, drv, out, substituters, trustedPublicKeys } = raw[host.attribute];
            const part = log.parts.get(host.attribute);
            // Without its mark (it cannot be missing, but if it were) the whole evaluation's imports are the host's.
            const imports = await attributeImports(flake, attributePath(host), part ?? log, env);
            found.set(host.id, {
                id: host.id,
                kind,
                attribute: host.attribute,
                system,
                drvPath: drv,
                outPath: out,
                substituters,
                trustedPublicKeys,
                imports: imports.paths,
                importsUnknown: imports.error
            });
        }
    }));
    return hosts.map(h => found.get(h.id)).filter((h) => h !== undefined);
}
/** Output paths of extra attributes (e.g. pre-warm packages), evaluated in one call each. */
async function attributeOutPath(flake, attribute, env, extraArgs = []) {
    const { stdout } = await runNix(['eval', '--raw', `${flake}#${attribute}.outPath`, ...extraArgs], { env });
    return stdout.trim();
}

;// CONCATENATED MODULE: ./src/nix-build/work-dir.ts



function workFiles(dir) {
    return {
        dir,
        spool: (0,external_node_path_namespaceObject.join)(dir, 'built.spool'),
        hook: (0,external_node_path_namespaceObject.join)(dir, 'post-build-hook.sh'),
        secrets: (0,external_node_path_namespaceObject.join)(dir, 'secrets.conf'),
        netrc: (0,external_node_path_namespaceObject.join)(dir, 'netrc')
    };
}
/** What holds a token (netrc, secrets.conf) or says what was built (the spool): deleted first. */
function secretWorkFiles(work) {
    return [work.netrc, work.secrets, work.spool];
}
/** The action's work directory under RUNNER_TEMP, created, with the empty spool the hook appends to. */
async function prepareWorkDir(env) {
    const files = workFiles(join(env.RUNNER_TEMP ?? tmpdir(), 'nix-cachix-build'));
    await mkdir(files.dir, { recursive: true, mode: 0o700 });
    // The daemon runs the hook as root; the runner user must be able to read what it appends.
    await chmod(files.dir, 0o755);
    await writeFile(files.spool, '', { mode: 0o644 });
    return files;
}

;// CONCATENATED MODULE: ./src/cachix/retry-policy.ts
// Cachix's own client: full-jitter backoff from 1 s, 15 s cap, 90 s per call, Retry-After ≤ 120 s.
const CACHIX_RETRY_POLICY = {
    baseDelayMs: 1000,
    maxDelayMs: 15_000,
    budgetMs: 90_000,
    maxRetryAfterMs: 120_000
};
/** `policy` with every wait multiplied by `scale` (the retry-scale knob of tests). */
function scaledPolicy(policy, scale) {
    if (scale === 1)
        return policy;
    return {
        baseDelayMs: policy.baseDelayMs * scale,
        maxDelayMs: policy.maxDelayMs * scale,
        budgetMs: policy.budgetMs * scale,
        maxRetryAfterMs: policy.maxRetryAfterMs * scale
    };
}
function isRetryableStatus(status) {
    return status === 429 || status >= 500;
}
/** Retry-After in seconds or as an HTTP date, as milliseconds from `now`. */
function parseRetryAfter(header, now) {
    if (header === null || header === undefined || header.trim() === '')
        return undefined;
    const text = header.trim();
    if (/^\d+(\.\d+)?$/.test(text))
        return Math.round(Number(text) * 1000);
    const date = Date.parse(text);
    return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
/** The delay before retry number `attempt` (0-based), or undefined when the budget is spent. */
function nextDelay(policy, attempt, spentMs, retryAfterMs, random) {
    let delay;
    if (retryAfterMs !== undefined) {
        delay = Math.min(retryAfterMs, policy.maxRetryAfterMs);
    }
    else {
        const ceiling = Math.min(policy.baseDelayMs * 2 ** attempt, policy.maxDelayMs);
        delay = ceiling / 2 + random() * (ceiling / 2);
    }
    if (spentMs + delay > policy.budgetMs)
        return undefined;
    return Math.round(delay);
}

;// CONCATENATED MODULE: external "node:module"
const external_node_module_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:module");
;// CONCATENATED MODULE: ./src/cachix/http-transport.ts

// Loaded as CommonJS, as the bundles in dist/ load them: importing node:http as an ES module
// reads every one of its exports, and its lazy WebSocket, CloseEvent and MessageEvent load
// undici, about 14 MiB of memory that nothing here uses.
const load = (0,external_node_module_namespaceObject.createRequire)(import.meta.url);
const { Agent: HttpAgent, request: httpRequest } = load('node:http');
const { Agent: HttpsAgent, request: httpsRequest } = load('node:https');
// Kept-alive connections: an upload is several small API calls plus one PUT per part.
const agents = {
    http: new HttpAgent({ keepAlive: true, maxSockets: 32 }),
    https: new HttpsAgent({ keepAlive: true, maxSockets: 32 })
};
/**
 * One HTTP exchange with node:http. Unlike fetch, Buffer bodies are written as they are, not
 * copied first, which matters for multi-MiB parts.
 */
function sendHttp(method, url, headers, body, timeoutMs, signal) {
    return new Promise((resolve, reject) => {
        const target = new URL(url);
        const secure = target.protocol === 'https:';
        const pieces = body === undefined ? [] : typeof body === 'string' ? [Buffer.from(body)] : Buffer.isBuffer(body) ? [body] : body;
        const length = pieces.reduce((sum, piece) => sum + piece.length, 0);
        const request = (secure ? httpsRequest : httpRequest)(target, {
            method,
            headers: { ...headers, 'Content-Length': String(length) },
            agent: secure ? agents.https : agents.http,
            signal
        }, (response) => {
            const chunks = [];
            response.on('data', (chunk) => chunks.push(chunk));
            response.on('error', reject);
            response.on('end', () => {
                resolve({
                    status: response.statusCode ?? 0,
                    header: name => {
                        const value = response.headers[name.toLowerCase()];
                        return Array.isArray(value) ? value[0] : value;
                    },
                    body: Buffer.concat(chunks)
                });
            });
        });
        request.setTimeout(timeoutMs, () => request.destroy(Object.assign(new Error('request timed out'), { code: 'ETIMEDOUT' })));
        request.on('error', reject);
        // Written without waiting for drain: the pieces are already in memory, and the socket
        // takes them in order.
        for (const piece of pieces)
            request.write(piece);
        request.end();
    });
}

;// CONCATENATED MODULE: ./src/nix/format/narinfo.ts


function renderNarInfo(info) {
    const lines = [`StorePath: ${info.storePath}`, `URL: ${info.url}`, `Compression: ${info.compression}`];
    if (info.fileHash !== undefined)
        lines.push(`FileHash: ${info.fileHash}`);
    if (info.fileSize !== undefined)
        lines.push(`FileSize: ${info.fileSize}`);
    lines.push(`NarHash: ${info.narHash}`, `NarSize: ${info.narSize}`, `References: ${info.references.join(' ')}`);
    if (info.deriver !== undefined)
        lines.push(`Deriver: ${info.deriver}`);
    for (const sig of info.sigs)
        lines.push(`Sig: ${sig}`);
    if (info.ca !== undefined)
        lines.push(`CA: ${info.ca}`);
    // Nix requires a newline after every line, the last one included.
    return `${lines.join('\n')}\n`;
}
function parseNarInfo(text) {
    const fields = new Map();
    const sigs = [];
    for (const line of text.split('\n')) {
        if (line === '')
            continue;
        const colon = line.indexOf(':');
        if (colon < 1 || line[colon + 1] !== ' ')
            throw new Error(`narinfo line "${line}" is not "Key: value"`);
        const key = line.slice(0, colon);
        const value = line.slice(colon + 2);
        if (key === 'Sig')
            sigs.push(value);
        else if (fields.has(key) && (key === 'References' || key === 'CA' || key === 'StorePath')) {
            throw new Error(`narinfo has a second ${key} line`);
        }
        else
            fields.set(key, value);
    }
    const required = (key) => {
        const value = fields.get(key);
        if (value === undefined || value === '')
            throw new Error(`narinfo has no ${key}`);
        return value;
    };
    const storePath = required('StorePath');
    store_path_parseStorePath(storePath);
    const narSize = Number(required('NarSize'));
    if (!Number.isSafeInteger(narSize) || narSize <= 0)
        throw new Error(`narinfo NarSize "${fields.get('NarSize')}" is not a positive integer`);
    const fileSizeText = fields.get('FileSize');
    const references = (fields.get('References') ?? '').split(' ').filter(r => r !== '');
    const deriver = fields.get('Deriver');
    return {
        storePath,
        url: required('URL'),
        // An absent Compression means bzip2 to Nix.
        compression: (fields.get('Compression') || 'bzip2'),
        fileHash: fields.get('FileHash'),
        fileSize: fileSizeText === undefined ? undefined : Number(fileSizeText),
        narHash: normaliseNixHash(required('NarHash')),
        narSize,
        references,
        deriver: deriver === undefined || deriver === 'unknown-deriver' ? undefined : deriver,
        sigs,
        ca: fields.get('CA')
    };
}
/** What an ed25519 narinfo signature signs: `1;path;narHash;narSize;sorted full references`. */
function fingerprint(storePath, narHash, narSize, references) {
    if (narSize <= 0)
        throw new Error(`cannot sign ${storePath}: NarSize must be positive`);
    const refs = references.map(fullPath).sort();
    return `1;${storePath};${normaliseNixHash(narHash)};${narSize};${refs.join(',')}`;
}

;// CONCATENATED MODULE: ./src/util/async.ts
/**
 * Runs `work` on every item with at most `limit` running at once; work may add items as it
 * discovers them. Rejects with the first failure once the work in flight has settled. Once
 * `stop` aborts, no more items start and it resolves when those in flight have settled.
 */
async function runQueue(initial, limit, work, stop) {
    // A read index instead of shift(): a closure walk queues thousands of paths.
    const pending = [...initial];
    let next = 0;
    const add = (item) => {
        pending.push(item);
    };
    let failure;
    await new Promise(resolve => {
        let active = 0;
        const pump = () => {
            while (failure === undefined && stop?.aborted !== true && active < limit && next < pending.length) {
                const item = pending[next++];
                active++;
                work(item, add)
                    .catch((error) => {
                    failure ??= { error };
                })
                    .finally(() => {
                    active--;
                    pump();
                });
            }
            if (active === 0 && (next === pending.length || failure !== undefined || stop?.aborted === true))
                resolve();
        };
        pump();
    });
    if (failure !== undefined)
        throw failure.error;
}
/** `fn` over `items`, at most `limit` at once, results in the order of `items`. */
async function mapLimit(items, limit, fn) {
    const results = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const index = next++;
            results[index] = await fn(items[index]);
        }
    };
    await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
    return results;
}
/** Resolves after `ms`, or rejects with the signal's reason once it aborts. */
function sleep(ms, signal) {
    return new Promise((resolve, reject) => {
        if (signal?.aborted) {
            reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
            return;
        }
        const timer = setTimeout(() => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
        }, ms);
        const onAbort = () => {
            clearTimeout(timer);
            reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        };
        signal?.addEventListener('abort', onAbort, { once: true });
    });
}

;// CONCATENATED MODULE: ./src/cachix/client.ts






const client_DEFAULT_CACHIX_URL = 'https://cachix.org';
// Cachix batches the bulk query at 32768 hashes so a request stays under 1 MB.
const MISSING_QUERY_BATCH = 32768;
const USER_AGENT = 'nix-cachix-build/1';
/** An HTTP answer that is final: retrying will not help. */
class CachixError extends Error {
    status;
    fatal;
    constructor(message, status, fatal) {
        super(message);
        this.status = status;
        this.fatal = fatal;
    }
}
class CachixClient {
    options;
    cacheName;
    baseUrl;
    token;
    policy;
    requestTimeoutMs;
    random;
    constructor(options) {
        this.options = options;
        this.cacheName = options.cacheName;
        this.baseUrl = (options.baseUrl ?? client_DEFAULT_CACHIX_URL).replace(/\/+$/, '');
        this.token = options.authToken ?? '';
        this.policy = options.retryPolicy ?? scaledPolicy(CACHIX_RETRY_POLICY, retryScale());
        this.requestTimeoutMs = options.requestTimeoutMs ?? 10 * 60_000;
        this.random = options.random ?? Math.random;
    }
    api(path) {
        return `${this.baseUrl}/api/v1/cache/${encodeURIComponent(this.cacheName)}${path}`;
    }
    /** The cache's settings; `policy` replaces the client's retries for this one call (a first contact that must not wait long). */
    async getCache(signal, policy) {
        const response = await this.send('GET', this.api(''), { what: 'cache info', signal, policy });
        return json(response);
    }
    /** The subset of `hashes` (32-char store hashes) that the cache does not have. */
    async missingHashes(hashes, signal) {
        const unique = [...new Set(hashes)];
        const missing = new Set();
        for (const batch of chunks(unique, MISSING_QUERY_BATCH)) {
            const response = await this.send('POST', this.api('/narinfo'), {
                json: batch,
                what: 'missing-paths query',
                signal
            });
            for (const hash of json(response))
                missing.add(hash);
        }
        return missing;
    }
    /** The narinfo of one store hash (32 characters), or undefined when the cache does not have it. */
    async narinfo(hash, signal) {
        try {
            const response = await this.send('GET', this.api(`/${hash}.narinfo`), {
                what: 'narinfo lookup',
                accept: 'text/x-nix-narinfo',
                signal
            });
            return parseNarInfo(response.body.toString('utf8'));
        }
        catch (error) {
            if (error instanceof CachixError && error.status === 404)
                return undefined;
            throw error;
        }
    }
    async createUpload(compression, signal) {
        const response = await this.send('POST', this.api(`/multipart-nar?compression=${compression}`), {
            what: 'upload creation',
            signal
        });
        return json(response);
    }
    async presignPart(narId, uploadId, partNumber, contentMD5, signal) {
        const url = this.api(`/multipart-nar/${encodeURIComponent(narId)}?uploadId=${encodeURIComponent(uploadId)}&partNumber=${partNumber}`);
        const response = await this.send('POST', url, { json: { contentMD5 }, what: `part ${partNumber} URL`, signal });
        return json(response).uploadUrl;
    }
    /** PUT one part to its presigned URL (object storage: no Authorization). Returns the ETag verbatim. */
    async putPart(uploadUrl, body, contentMD5, signal) {
        const response = await this.send('PUT', uploadUrl, {
            body,
            headers: { 'Content-Type': 'application/octet-stream', 'Content-MD5': contentMD5 },
            anonymous: true,
            what: 'part upload',
            signal
        });
        return response.header('etag');
    }
    async completeUpload(narId, uploadId, request, signal) {
        const url = this.api(`/multipart-nar/${encodeURIComponent(narId)}/complete?uploadId=${encodeURIComponent(uploadId)}`);
        await this.send('POST', url, { json: request, what: 'upload completion', signal });
    }
    async abortUpload(narId, uploadId) {
        const url = this.api(`/multipart-nar/${encodeURIComponent(narId)}/abort?uploadId=${encodeURIComponent(uploadId)}`);
        await this.send('POST', url, { what: 'upload abort', retries: false });
    }
    async send(method, url, request) {
        const headers = {
            'User-Agent': USER_AGENT,
            Accept: request.accept ?? 'application/json;charset=utf-8,application/json',
            ...request.headers
        };
        // An empty token is still sent as "Bearer ", as Cachix's client does; the server reads it as anonymous.
        if (!request.anonymous)
            headers.Authorization = `Bearer ${this.token}`;
        let body = request.body;
        if (request.json !== undefined) {
            headers['Content-Type'] = 'application/json;charset=utf-8';
            body = JSON.stringify(request.json);
        }
        let spentMs = 0;
        for (let attempt = 0;; attempt++) {
            request.signal?.throwIfAborted();
            let reason;
            let retryAfterMs;
            try {
                const response = await sendHttp(method, url, headers, body, this.requestTimeoutMs, request.signal);
                if (response.status === 200)
                    return response;
                const text = response.body.toString('utf8').slice(0, 300);
                if (!isRetryableStatus(response.status))
                    throw this.finalError(response.status, text, request.what);
                reason = `HTTP ${response.status}`;
                retryAfterMs = parseRetryAfter(response.header('retry-after'), Date.now()) ?? retryAfterFromBody(text);
            }
            catch (error) {
                if (error instanceof CachixError)
                    throw error;
                if (request.signal?.aborted)
                    throw request.signal.reason instanceof Error ? request.signal.reason : new Error('aborted');
                reason = connectionErrorText(error);
            }
            const delay = request.retries === false
                ? undefined
                : nextDelay(request.policy ?? this.policy, attempt, spentMs, retryAfterMs, this.random);
            if (delay === undefined) {
                throw new CachixError(`Cachix ${request.what} for cache ${this.cacheName} kept failing (${reason}) after ${attempt + 1} attempts over ${spentMs < 10_000 ? (spentMs / 1000).toFixed(1) : Math.round(spentMs / 1000)} s`, undefined, false);
            }
            this.options.onRetry?.(request.what, attempt + 1, delay, reason);
            spentMs += delay;
            await sleep(delay, request.signal);
        }
    }
    finalError(status, body, what) {
        const cache = this.cacheName;
        const detail = body.trim() === '' ? '' : ` (server said: ${body.trim().split('\n')[0]})`;
        switch (status) {
            case 401:
                return new CachixError(this.token === ''
                    ? `Cachix cache "${cache}" is private or does not exist and no auth token was given: set cachix-auth-token`
                    : `Cachix rejected the auth token for cache "${cache}" (HTTP 401): check that the token secret is current and was made for this cache${detail}`, status, true);
            case 403:
                return new CachixError(`the auth token may not write to Cachix cache "${cache}" (HTTP 403): create a token with write access to it${detail}`, status, true);
            case 404:
                return new CachixError(`Cachix cache "${cache}" does not exist (HTTP 404 on ${what}): check the cache name${detail}`, status, true);
            default:
                return new CachixError(`Cachix ${what} for cache "${cache}" failed with HTTP ${status}${detail}`, status, status === 400 || status === 413);
        }
    }
}
function retryAfterFromBody(body) {
    try {
        const parsed = JSON.parse(body);
        return typeof parsed.retry_after === 'number' ? parsed.retry_after * 1000 : undefined;
    }
    catch {
        return undefined;
    }
}
function connectionErrorText(error) {
    if (error instanceof Error)
        return error.code ?? error.message;
    return String(error);
}
function json(response) {
    try {
        return JSON.parse(response.body.toString('utf8'));
    }
    catch {
        throw new CachixError(`the Cachix API answered with something that is not JSON: ${response.body.toString('utf8').slice(0, 120)}`, response.status, true);
    }
}

;// CONCATENATED MODULE: ./src/nix/conf/render.ts

const BLOCK_BEGIN = "# BEGIN nix-cachix-build (removed again by the action's post step)";
const BLOCK_END = '# END nix-cachix-build';
// Hosts' nix.settings come from the flake, not from checked inputs: one entry with a line break
// would add a setting of its own (a post-build-hook runs as root), one with a blank two entries.
function unique(values, setting) {
    for (const value of values) {
        // eslint-disable-next-line no-control-regex -- finding control characters is the point
        if (/[\s\u0000-\u001f\u007f]/.test(value))
            throw new Error(`${setting}: ${JSON.stringify(value)} contains white space or a control character, which nix.conf cannot hold in one entry (check the hosts' nix.settings)`);
    }
    return [...new Set(values.filter(v => v !== ''))];
}
/** The lines this action adds to nix.conf, between markers so the post step can take them out. */
function renderManagedBlock(settings) {
    const lines = [BLOCK_BEGIN, NIX_FLAKES_CONF];
    const substituters = unique(settings.substituters, 'extra-substituters');
    if (substituters.length > 0)
        lines.push(`extra-substituters = ${substituters.join(' ')}`);
    const keys = unique(settings.trustedPublicKeys, 'extra-trusted-public-keys');
    if (keys.length > 0)
        lines.push(`extra-trusted-public-keys = ${keys.join(' ')}`);
    const platforms = unique(settings.extraPlatforms, 'extra-platforms');
    if (platforms.length > 0)
        lines.push(`extra-platforms = ${platforms.join(' ')}`);
    const users = unique(settings.trustedUsers, 'extra-trusted-users');
    if (users.length > 0)
        lines.push(`extra-trusted-users = ${users.join(' ')}`);
    // A cache that fails mid-download should cost a rebuild, not the job.
    lines.push('fallback = true');
    // What this job just pushed must be seen as present by the next query in the same job.
    lines.push('narinfo-cache-negative-ttl = 0');
    if (settings.maxJobs !== undefined)
        lines.push(`max-jobs = ${settings.maxJobs}`);
    if (settings.cores !== undefined)
        lines.push(`cores = ${settings.cores}`);
    if (settings.builders !== undefined)
        lines.push(`builders = ${settings.builders}`, `builders-use-substitutes = ${String(settings.buildersUseSubstitutes ?? true)}`);
    if (settings.postBuildHook !== undefined)
        lines.push(`post-build-hook = ${settings.postBuildHook}`);
    const extra = settings.extraConfig.trim();
    if (extra !== '')
        lines.push(extra);
    if (settings.secretsFile !== undefined)
        lines.push(`!include ${settings.secretsFile}`);
    lines.push(BLOCK_END);
    return `${lines.join('\n')}\n`;
}
/** `existing` with the managed block replaced by `block`, or removed when `block` is undefined. */
function render_replaceManagedBlock(existing, block) {
    const start = existing.indexOf(BLOCK_BEGIN);
    const endMarker = existing.indexOf(BLOCK_END, start);
    let base = existing;
    if (start >= 0 && endMarker >= 0) {
        const after = existing.indexOf('\n', endMarker);
        base = existing.slice(0, start) + (after >= 0 ? existing.slice(after + 1) : '');
    }
    if (block === undefined)
        return base;
    const separator = base === '' || base.endsWith('\n') ? '' : '\n';
    return `${base}${separator}${block}`;
}
/** The value of `post-build-hook` in a rendered `nix show-config`, if any. */
function existingPostBuildHook(showConfig) {
    const match = /^post-build-hook = (.*)$/m.exec(showConfig);
    const value = match?.[1].trim();
    return value === undefined || value === '' ? undefined : value;
}
/** netrc lines Nix (curl) uses to send a private cache's token; Cachix takes it as the password. */
function renderNetrc(entries) {
    return entries.map(e => `machine ${e.host} password ${e.password}\n`).join('');
}
function renderSecretsConf(accessTokens, netrcFile) {
    const lines = [];
    if (accessTokens.length > 0)
        lines.push(`access-tokens = ${accessTokens.join(' ')}`);
    if (netrcFile !== undefined)
        lines.push(`netrc-file = ${netrcFile}`);
    return `${lines.join('\n')}\n`;
}

;// CONCATENATED MODULE: ./src/nix/conf/file.ts







/** The global nix.conf: the one the daemon reads. NIX_CONF_DIR moves it (as Nix itself allows). */
function nixConfPath(env = process.env) {
    return join(env.NIX_CONF_DIR ?? '/etc/nix', 'nix.conf');
}
/** Puts `block` into nix.conf in place of an earlier one, or takes it out when undefined. */
async function writeManagedBlock(path, block) {
    const existing = await readFile(path, 'utf8').catch(() => '');
    const next = replaceManagedBlock(existing, block);
    if (next !== existing)
        await writeSystemFile(path, next);
}
/** Restarts nix-daemon when systemd (or, on macOS, launchd) runs it, so it reads the new nix.conf. */
async function restartDaemonIfRunning() {
    const { probe, probeAsRoot, restart } = daemonControl(runnerPlatform());
    const active = await (probeAsRoot ? runAsRoot(probe.command, probe.args) : runCommand(probe.command, probe.args)).then(() => true, () => false);
    if (!active)
        return false;
    await runAsRoot(restart.command, restart.args);
    return true;
}
/** `nix config show` (2.20+) or `nix show-config` (older), as text. */
async function showNixConfig(env) {
    for (const args of [['config', 'show'], ['show-config']]) {
        try {
            return (await command_runNix([...args], { env })).stdout;
        }
        catch {
            // try the older spelling
        }
    }
    return '';
}

;// CONCATENATED MODULE: ./src/nix/substituters.ts
/** Nix's default substituter, and the upstream cachix.org counts as present. */
const DEFAULT_SUBSTITUTER = 'https://cache.nixos.org';
/** What identifies a cache: its URL without query string (`?priority=20` tunes it, not names it) or trailing slash. */
function substituterIdentity(url) {
    const query = url.indexOf('?');
    return (query < 0 ? url : url.slice(0, query)).replace(/\/+$/, '');
}
/**
 * The hosts' substituters and keys, merged: every host's `substituters` and `extra-substituters`
 * in order, query strings kept as the host wrote them, each cache once (the first spelling wins),
 * and none the job already has from its own caches.
 */
function mergeHostCaches(hosts, alreadyUsed = []) {
    const seen = new Set(alreadyUsed.map(substituterIdentity));
    const substituters = [];
    for (const url of hosts.flatMap(h => h.substituters)) {
        const identity = substituterIdentity(url.trim());
        if (identity === '' || seen.has(identity))
            continue;
        seen.add(identity);
        substituters.push(url.trim());
    }
    const keys = [
        ...new Set(hosts
            .flatMap(h => h.trustedPublicKeys)
            .map(k => k.trim())
            .filter(k => k !== ''))
    ];
    return { substituters, trustedPublicKeys: keys };
}
/** The address of a substituter's /nix-cache-info, or undefined for a store that is not reached over HTTP (local, daemon, s3, ssh). */
function cacheInfoUrl(substituter) {
    const base = substituterIdentity(substituter);
    if (!/^https?:\/\//i.test(base))
        return undefined;
    return `${base}/nix-cache-info`;
}
/**
 * Asks every HTTP substituter for /nix-cache-info at once, each within `timeoutMs`. `probe`
 * returns undefined when the cache answered, else the reason. Non-HTTP stores are kept untested.
 */
async function probeSubstituters(substituters, timeoutMs, probe) {
    const verdicts = await Promise.all(substituters.map(async (url) => {
        const info = cacheInfoUrl(url);
        return info === undefined ? undefined : probe(info, timeoutMs);
    }));
    const outcome = { reachable: [], dropped: new Map() };
    substituters.forEach((url, i) => {
        const reason = verdicts[i];
        if (reason === undefined)
            outcome.reachable.push(url);
        else
            outcome.dropped.set(url, reason);
    });
    return outcome;
}
/** The `substituters` of a rendered `nix config show` (extra-substituters already merged into it by Nix). */
function substitutersInConfig(config) {
    const line = config.split('\n').find(l => /^substituters\s*=/.test(l));
    if (line === undefined)
        return [];
    return line
        .slice(line.indexOf('=') + 1)
        .split(/\s+/)
        .filter(url => url !== '');
}
/**
 * The HTTP(S) caches among `substituters` whose narinfos can be read, each once (its query
 * string dropped: `?priority=` tunes Nix, not the URL), without those in `exclude`.
 */
function narinfoSubstituters(substituters, exclude = []) {
    const seen = new Set(exclude.map(substituterIdentity));
    const found = [];
    for (const url of substituters) {
        const identity = substituterIdentity(url.trim());
        if (!/^https?:\/\//i.test(identity) || seen.has(identity))
            continue;
        seen.add(identity);
        found.push(identity);
    }
    return found;
}

;// CONCATENATED MODULE: ./src/cachix/substituter-narinfos.ts
/**
 * Narinfos of the binary caches Nix substitutes from (cache.nixos.org, the hosts' own caches):
 * where the References, NarSize and FileSize of a path that a Cachix cache only counts as
 * present upstream come from. Read over HTTP; no NAR is ever fetched.
 */







const substituter_narinfos_USER_AGENT = 'nix-cachix-build/1';
const REQUEST_TIMEOUT_MS = 20_000;
/** A substituter's brief trouble (a 5xx, a dropped connection) is asked again this often, a second apart. */
const RETRIES = 2;
/** One HTTP(S) binary cache: `GET <url>/<hash>.narinfo`, 404 meaning it does not have the path. */
class BinaryCacheNarInfos {
    retryDelayMs;
    url;
    authorization;
    constructor(substituter, retryDelayMs = 1000) {
        this.retryDelayMs = retryDelayMs;
        this.url = substituter.url.replace(/\/+$/, '');
        this.authorization =
            substituter.password === undefined
                ? undefined
                : `Basic ${Buffer.from(`:${substituter.password}`).toString('base64')}`;
    }
    async narinfo(hash, signal) {
        const headers = { 'User-Agent': substituter_narinfos_USER_AGENT, Accept: 'text/x-nix-narinfo' };
        if (this.authorization !== undefined)
            headers.Authorization = this.authorization;
        for (let attempt = 0;; attempt++) {
            let reason;
            try {
                const response = await sendHttp('GET', `${this.url}/${hash}.narinfo`, headers, undefined, REQUEST_TIMEOUT_MS, signal);
                if (response.status === 404 || response.status === 410)
                    return undefined;
                if (response.status === 200) {
                    const info = parseNarInfo(response.body.toString('utf8'));
                    if (hashPart(info.storePath) !== hash)
                        throw new Error(`its narinfo for ${hash} is about ${info.storePath}`);
                    return info;
                }
                reason = `HTTP ${response.status}`;
                if (response.status !== 429 && response.status < 500)
                    throw new Error(reason);
            }
            catch (error) {
                if (signal?.aborted)
                    throw error;
                if (!isConnectionError(error))
                    throw error;
                reason = errors_errorMessage(error);
            }
            if (attempt >= RETRIES)
                throw new Error(`${reason} after ${attempt + 1} attempts`);
            await sleep(this.retryDelayMs * (attempt + 1), signal);
        }
    }
}
/** A dropped or stalled connection may work the next time; a refused one or an unknown host will not. */
const TRANSIENT = new Set(['ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ECONNABORTED', 'EAI_AGAIN', 'UND_ERR_SOCKET']);
function isConnectionError(error) {
    const code = typeof error === 'object' && error !== null ? error.code : undefined;
    return typeof code === 'string' && TRANSIENT.has(code);
}
/**
 * The substituters, asked in order until one has the path. One that fails (unreachable, a
 * private cache without its token, a 5xx that persists) is left out for the rest of the run,
 * with one line in the log, so a dead cache costs one failure, not one per path.
 */
class SubstituterNarInfos {
    log;
    live;
    /** url → why it is no longer asked */
    dropped = new Map();
    found = new Map();
    /** Paths asked about (each once). */
    lookups = 0;
    constructor(substituters, log) {
        this.log = log;
        this.live = substituters.map(s => (s instanceof BinaryCacheNarInfos ? s : new BinaryCacheNarInfos(s)));
    }
    /** The substituters still asked. */
    get urls() {
        return this.live.map(s => s.url);
    }
    /** Which substituters were asked, for a message about a path none of them has. */
    describe() {
        const asked = [...this.urls, ...[...this.dropped].map(([url, why]) => `${url} (not answering: ${why})`)];
        return asked.length === 0 ? 'no substituter' : asked.join(', ');
    }
    /** The first substituter that has the path, and its narinfo; asked once per path for the whole run. */
    find(hash, signal) {
        let found = this.found.get(hash);
        if (found === undefined) {
            this.lookups++;
            found = this.ask(hash, signal);
            // Only an abort rejects; it is not remembered.
            found.catch(() => this.found.delete(hash));
            this.found.set(hash, found);
        }
        return found;
    }
    async ask(hash, signal) {
        for (const source of [...this.live]) {
            if (!this.live.includes(source))
                continue;
            try {
                const info = await source.narinfo(hash, signal);
                if (info !== undefined)
                    return { url: source.url, info };
            }
            catch (error) {
                signal?.throwIfAborted();
                const index = this.live.indexOf(source);
                if (index < 0)
                    continue;
                this.live.splice(index, 1);
                this.dropped.set(source.url, errors_errorMessage(error));
                this.log?.info(`substituter ${source.url} is not asked for narinfos any more in this run: ${errors_errorMessage(error)}`);
            }
        }
        return undefined;
    }
    async narinfo(hash, signal) {
        return (await this.find(hash, signal))?.info;
    }
}
/**
 * The narinfo sources of the substituters Nix uses here (`nix config show`): cache.nixos.org by
 * default, plus what the job added (the hosts' own caches, extra-pull-caches), or on a laptop what
 * it substitutes from.
 */
async function configuredSubstituterNarInfos(options) {
    const urls = narinfoSubstituters(substitutersInConfig(await showNixConfig(options.env)), options.exclude);
    const password = (url) => options.credentials?.find(c => c.host === new URL(url).hostname)?.password;
    return new SubstituterNarInfos(urls.map(url => ({ url, password: password(url) })), options.log);
}

;// CONCATENATED MODULE: ./src/push/filter.ts

// Derivations are build recipes, not what machines download; installer self-test paths
// (e.g. `self-test-bash-<time>` from the Nix installer) change every run and only waste space.
const DEFAULT_EXCLUDES = [/\.drv$/, /^[a-z0-9]{32}-(nix-installer-)?self-test-/];
function makePushFilter(userPattern, defaults = DEFAULT_EXCLUDES) {
    return {
        excluded(path) {
            const name = baseName(path);
            for (const pattern of defaults)
                if (pattern.test(name))
                    return `excluded by default (${pattern.source})`;
            if (userPattern && userPattern.test(path))
                return `matches push-filter ${userPattern.source}`;
            return undefined;
        }
    };
}

;// CONCATENATED MODULE: external "node:events"
const external_node_events_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:events");
;// CONCATENATED MODULE: ./src/push/upload/byte-budget.ts
/**
 * A weighted semaphore over bytes held in memory. Every part buffer is reserved before it
 * fills, so the sum of part buffers across all concurrent uploads stays bounded.
 */
class ByteBudget {
    capacity;
    available;
    waiters = [];
    constructor(capacity) {
        this.capacity = capacity;
        this.available = capacity;
    }
    /** Waits until `bytes` (at most the capacity) are free, or rejects when `signal` aborts. */
    async acquire(bytes, signal) {
        const want = Math.min(bytes, this.capacity);
        signal?.throwIfAborted();
        if (this.waiters.length === 0 && this.available >= want) {
            this.available -= want;
            return want;
        }
        await new Promise((resolve, reject) => {
            const waiter = {
                bytes: want,
                resolve: () => {
                    signal?.removeEventListener('abort', onAbort);
                    resolve();
                }
            };
            const onAbort = () => {
                const index = this.waiters.indexOf(waiter);
                if (index >= 0)
                    this.waiters.splice(index, 1);
                // A waiter behind this one may fit now.
                this.grant();
                reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
            };
            signal?.addEventListener('abort', onAbort, { once: true });
            this.waiters.push(waiter);
        });
        return want;
    }
    /** Takes bytes without waiting (may overdraw), for a buffer that is already being filled. */
    take(bytes) {
        this.available -= bytes;
    }
    release(bytes) {
        this.available += bytes;
        this.grant();
    }
    /** Bytes free right now (negative while overdrawn). */
    get free() {
        return this.available;
    }
    grant() {
        while (this.waiters.length > 0 && this.available >= this.waiters[0].bytes) {
            const next = this.waiters.shift();
            if (!next)
                break;
            this.available -= next.bytes;
            next.resolve();
        }
    }
}

;// CONCATENATED MODULE: external "node:fs"
const external_node_fs_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:fs");
;// CONCATENATED MODULE: external "node:net"
const external_node_net_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:net");
;// CONCATENATED MODULE: ./src/util/stream.ts
/** Resolves once `stream` wants more data, or once it is gone (a reader that left never drains). */
function stream_drainedOrClosed(stream) {
    return new Promise(resolve => {
        const resume = () => {
            stream.off('drain', resume);
            stream.off('close', resume);
            resolve();
        };
        stream.on('drain', resume);
        stream.on('close', resume);
    });
}
/**
 * Writes `frame` into a compressor's input pipe; throws what `failure` reports, before or after.
 * The frame's reservation ends once the pipe has it, not once the pipe has taken it in: the pipe
 * drains only as fast as the upload's parts go out, and a reservation held until then would let
 * two uploads wait on each other (one for part memory, the other for frame memory).
 */
async function writeFrame(stream, frame, failure) {
    const before = failure();
    if (before !== undefined) {
        frame.release();
        frame.recycle();
        throw before;
    }
    const room = stream.write(frame.bytes, () => frame.recycle());
    frame.release();
    if (!room && !stream.destroyed)
        await stream_drainedOrClosed(stream);
    const after = failure();
    if (after !== undefined)
        throw after;
}

;// CONCATENATED MODULE: ./src/push/upload/zstd-frames.ts
/**
 * Finds where zstd frames end in a stream of them (RFC 8878, section 3.1.1), without
 * decompressing: it reads each frame's header and block headers and skips the block contents.
 * A long-lived zstd program writes one frame per input, back to back; this says which bytes
 * belong to which input.
 */
class ZstdFrameEnds {
    collected = Buffer.alloc(16);
    have = 0;
    /** Header bytes to collect before the next step, or 0 while skipping. */
    want = 5;
    skip = 0;
    step = 'start';
    checksum = false;
    lastBlock = false;
    /**
     * The offset in `chunk` just past the end of the frame under way, or -1 when the frame goes
     * on past this chunk. After an end, the next call starts a new frame: pass it the rest.
     */
    end(chunk) {
        let at = 0;
        while (at < chunk.length) {
            if (this.skip > 0) {
                const n = Math.min(this.skip, chunk.length - at);
                this.skip -= n;
                at += n;
                if (this.skip === 0 && this.skipped())
                    return at;
                continue;
            }
            const n = Math.min(this.want - this.have, chunk.length - at);
            this.collected.set(chunk.subarray(at, at + n), this.have);
            this.have += n;
            at += n;
            if (this.have === this.want && this.collectedAll())
                return at;
        }
        return -1;
    }
    /** Acts on the collected bytes; true when that ended the frame. */
    collectedAll() {
        const bytes = this.collected;
        this.have = 0;
        if (this.step === 'start') {
            if (bytes.readUInt32LE(0) !== 0xfd2fb528)
                throw new Error('zstd wrote something that is not a zstd frame');
            const descriptor = bytes[4];
            const singleSegment = (descriptor & 0x20) !== 0;
            const contentSizeFlag = descriptor >> 6;
            this.checksum = (descriptor & 0x04) !== 0;
            const dictionaryBytes = [0, 1, 2, 4][descriptor & 0x03];
            const contentSizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][contentSizeFlag];
            const rest = (singleSegment ? 0 : 1) + dictionaryBytes + contentSizeBytes;
            if (rest > 0)
                return this.collect('header', rest);
            return this.collect('block', 3);
        }
        if (this.step === 'header')
            return this.collect('block', 3);
        // A block header: bit 0 marks the last block, bits 1-2 the type, the rest the size.
        const header = bytes[0] | (bytes[1] << 8) | (bytes[2] << 16);
        const type = (header >> 1) & 3;
        if (type === 3)
            throw new Error('zstd wrote a block of the reserved type');
        this.lastBlock = (header & 1) === 1;
        const contentBytes = type === 1 ? 1 : header >>> 3;
        this.step = 'content';
        this.skip = contentBytes;
        return contentBytes === 0 ? this.skipped() : false;
    }
    /** A block's content or the checksum was skipped; true when that ended the frame. */
    skipped() {
        if (this.step === 'content' && !this.lastBlock)
            return this.collect('block', 3);
        if (this.step === 'content' && this.checksum) {
            this.step = 'checksum';
            this.skip = 4;
            return false;
        }
        this.collect('start', 5);
        return true;
    }
    collect(step, bytes) {
        this.step = step;
        this.want = bytes;
        this.have = 0;
        return false;
    }
}

;// CONCATENATED MODULE: external "node:crypto"
const external_node_crypto_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:crypto");
;// CONCATENATED MODULE: external "node:zlib"
const external_node_zlib_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:zlib");
;// CONCATENATED MODULE: ./src/push/upload/zstd-in-process.ts





// node:zlib has zstd from Node 22.15 on (the node24 runtime); Node 20 has none.
const zstd = external_node_zlib_namespaceObject;
// zlib hands its output back in chunks of this size, one trip between the pool and the main
// thread each: at its 16 KiB default a frame takes hundreds of trips (measured: 40% more CPU).
const MAX_OUTPUT_CHUNK = 1024 * 1024;
/** One independent zstd frame of `data` through node:zlib's public one-shot API (a new context and output buffers per call). */
function compressFrame(data, level) {
    const compress = zstd.zstdCompress;
    const levelParam = zstd.constants.ZSTD_c_compressionLevel;
    if (compress === undefined || levelParam === undefined)
        return Promise.reject(new Error('this Node has no zstd in node:zlib'));
    return new Promise((resolve, reject) => {
        compress(data, { chunkSize: Math.min(MAX_OUTPUT_CHUNK, Math.max(16 * 1024, data.length)), params: { [levelParam]: level } }, (error, result) => (error ? reject(error) : resolve(result)));
    });
}
/** The most a zstd frame of `bytes` can take (ZSTD_COMPRESSBOUND), plus room for the frame header. */
function compressedBound(bytes) {
    const small = 128 * 1024;
    return bytes + (bytes >>> 8) + (bytes < small ? (small - bytes) >>> 11 : 0) + 64;
}
/** A reusable zstd context: compresses one whole frame per call into `out`. */
class ZstdContext {
    level;
    handle;
    state = new Uint32Array(2);
    pending;
    /** False once it failed: zstd's state is then unknown, so it is never used again. */
    usable = true;
    constructor(Handle, level) {
        this.level = level;
        const params = new Uint32Array(maxCompressionParam() + 1).fill(0xffffffff);
        params[constant('ZSTD_c_compressionLevel')] = level;
        this.handle = new Handle();
        this.handle.onerror = (message, _errno, code) => this.settle(new Error(`zstd: ${message} (${code})`));
        this.handle.init(params, undefined, this.state, () => this.settle());
    }
    /** The frame of `input`, written to `out` from offset 0; resolves with its length. `out` must hold compressedBound(input.length). */
    compress(input, out) {
        if (!this.usable || this.pending !== undefined)
            return Promise.reject(new Error('zstd context is not free'));
        return new Promise((resolve, reject) => {
            this.pending = { resolve, reject };
            try {
                this.handle.write(constant('ZSTD_e_end'), input, 0, input.length, out, 0, out.length);
            }
            catch (error) {
                this.settle(errors_asError(error));
            }
        }).then(() => {
            const [availOut, availIn] = this.state;
            // Output full (or input left): the frame did not end in this call, which a bound-sized buffer rules out.
            if (availOut === 0 || availIn !== 0) {
                this.discard();
                throw new Error('zstd did not finish a frame within its compressed bound');
            }
            return out.length - availOut;
        });
    }
    /** Frees zstd's memory; the context is not used again. */
    discard() {
        if (!this.usable)
            return;
        this.usable = false;
        if (this.pending === undefined)
            this.handle.close();
    }
    settle(error) {
        const pending = this.pending;
        this.pending = undefined;
        if (error !== undefined) {
            this.usable = false;
            this.handle.close();
            pending?.reject(error);
        }
        else
            pending?.resolve();
    }
}
function constant(name) {
    const value = zstd.constants[name];
    if (value === undefined)
        throw new Error(`node:zlib has no ${name}`);
    return value;
}
function maxCompressionParam() {
    return Math.max(...Object.entries(zstd.constants)
        .filter(([key]) => key.startsWith('ZSTD_c_'))
        .map(([, value]) => value ?? 0));
}
/**
 * The class of node:zlib's zstd compression handle, when this Node's own zlib initialises it
 * exactly as ZstdContext does (`init(params, pledgedSrcSize, writeState, processCallback…)`);
 * otherwise undefined, and frames go through the public one-shot API instead.
 */
function nativeZstdHandleClass() {
    const create = zstd.createZstdCompress;
    if (create === undefined)
        return undefined;
    const stream = create();
    try {
        const handle = stream._handle;
        const zstdClass = Object.getPrototypeOf(Object.getPrototypeOf(stream));
        const initialised = /handle\.init\(\s*initParamsArray,\s*pledgedSrcSize,\s*writeState,\s*processCallback\b/.test(zstdClass.constructor.toString());
        if (!initialised ||
            typeof handle?.init !== 'function' ||
            typeof handle.write !== 'function' ||
            typeof handle.constructor !== 'function')
            return undefined;
        return handle.constructor;
    }
    catch {
        return undefined;
    }
    finally {
        stream.close();
    }
}
let engine;
/**
 * Which zstd compresses: node:zlib's, when it exists and two frames of it, concatenated,
 * decompress with the zstd tool to the same bytes; otherwise the zstd program. In process,
 * reused contexts writing into our buffers when this Node's zlib is the one they were made
 * for and pass the same check, else node:zlib's one-shot API. Decided once per process, since
 * the API is marked experimental upstream.
 */
function zstd_in_process_zstdEngine() {
    engine ??= checkInProcessZstd();
    return engine;
}
async function checkInProcessZstd() {
    if (forcedZstdProcess())
        return { kind: 'process', reason: `NIX_CACHIX_BUILD_ZSTD=${zstdKnob()}` };
    if (zstd.zstdCompress === undefined)
        return { kind: 'process', reason: `Node ${process.version} has no zstd in node:zlib` };
    const sample = Buffer.concat([Buffer.from('nix-archive-1'.repeat(5000)), (0,external_node_crypto_namespaceObject.randomBytes)(70_000)]);
    const halves = [sample.subarray(0, 40_000), sample.subarray(40_000)];
    let note;
    try {
        const Handle = nativeZstdHandleClass();
        if (Handle === undefined)
            note = 'this Node initialises its zstd handle differently';
        else {
            const context = new ZstdContext(Handle, 2);
            const frames = [];
            for (const half of halves) {
                const out = Buffer.allocUnsafe(compressedBound(half.length));
                frames.push(out.subarray(0, await context.compress(half, out)));
            }
            context.discard();
            if ((await decompressWithTool(Buffer.concat(frames))).equals(sample))
                return { kind: 'in-process', contexts: Handle };
            note = 'reused contexts did not decompress to the same bytes with zstd -d';
        }
    }
    catch (error) {
        note = `reused contexts failed their check: ${errors_errorMessage(error)}`;
    }
    try {
        const frames = Buffer.concat([await compressFrame(halves[0], 2), await compressFrame(halves[1], 2)]);
        const roundTrip = await decompressWithTool(frames);
        if (!roundTrip.equals(sample))
            return { kind: 'process', reason: 'node:zlib zstd output did not decompress to the same bytes with zstd -d' };
        return { kind: 'in-process', note };
    }
    catch (error) {
        return {
            kind: 'process',
            reason: `node:zlib zstd failed its check: ${errors_errorMessage(error)}`
        };
    }
}
/** `zstd -d` of `data`: the tool every check of a compressor is judged by. */
function decompressWithTool(data) {
    return new Promise((resolve, reject) => {
        const child = (0,external_node_child_process_namespaceObject.spawn)('zstd', ['-d', '-q', '-c'], {
            stdio: ['pipe', 'pipe', 'ignore'],
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }
        });
        const out = [];
        child.stdout.on('data', (chunk) => out.push(chunk));
        child.stdin.on('error', () => undefined);
        child.on('error', reject);
        child.on('close', code => (code === 0 ? resolve(Buffer.concat(out)) : reject(new Error(`zstd -d exited ${code}`))));
        child.stdin.end(data);
    });
}

;// CONCATENATED MODULE: ./src/push/upload/zstd-lanes.ts













/**
 * Long-lived zstd programs, for a Node without zstd in node:zlib. Starting one zstd per store
 * path costs a fork of this whole process on the main thread and zstd's own start-up, about as
 * much CPU in all as compressing a small path. So a lane is one zstd that reads its inputs in
 * turn from named pipes given on its command line and writes one frame per input to its
 * stdout; ZstdFrameEnds says where each input's frame ends. A lane serves one upload at a time,
 * and there are as many lanes as cores: an upload waits for a lane before it reads its NAR, so
 * it holds no memory while it waits.
 */
/** Inputs one program reads before it exits and the lane is replaced. */
const INPUTS_PER_PROGRAM = 64;
/** Lanes at once: each compresses with zstd's own threads too, so more would only share the same cores. */
const LANES = Math.max(2, (0,external_node_os_namespaceObject.availableParallelism)());
const laneSlots = new ByteBudget(LANES);
/** A lane nobody used for this long is ended, so idle programs do not hold memory through a build. */
const IDLE_MS = 15_000;
/** How long zstd may take to open its next input once the previous frame is out. */
const OPEN_TIMEOUT_MS = 10_000;
// $1 is the level, the rest are the pipes. The shell makes the pipes, leaves a watchdog that
// ends zstd once this process's end of its stdin closes (when this process exits, however it
// ends; zstd waiting for its next input would otherwise wait forever), and becomes zstd. stdbuf
// keeps zstd's output unbuffered: a frame then reaches us whole as soon as its input ends, not
// once the next input has filled zstd's buffer.
const SCRIPT = [
    'level=$1; shift',
    'mkfifo -m 600 "$@" || exit 111',
    'exec 3<&0',
    '(cat <&3 >/dev/null 2>&1; kill $$ 2>/dev/null) >/dev/null 2>&1 &',
    'exec stdbuf -o0 zstd -q -c "-$level" -T0 "$@" 3<&- </dev/null'
].join('\n');
class ZstdLane {
    level;
    dir = (0,external_node_fs_namespaceObject.mkdtempSync)((0,external_node_path_namespaceObject.join)((0,external_node_os_namespaceObject.tmpdir)(), 'nix-cachix-build-zstd-'));
    child;
    frames = new ZstdFrameEnds();
    next = 0;
    current;
    stderr = '';
    exit;
    /** Resolves once the program has exited (and was reaped, so its CPU counts as this process's children's). */
    exited;
    idleTimer;
    /** Why the lane cannot take another input, once it cannot. */
    dead;
    constructor(level) {
        this.level = level;
        const pipes = Array.from({ length: INPUTS_PER_PROGRAM }, (_, i) => (0,external_node_path_namespaceObject.join)(this.dir, String(i)));
        // zstd needs nothing from the environment but PATH, and gets nothing else.
        this.child = (0,external_node_child_process_namespaceObject.spawn)('sh', ['-c', SCRIPT, 'sh', String(level), ...pipes], {
            stdio: ['pipe', 'pipe', 'pipe'],
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }
        });
        lanes.add(this);
        const child = this.child;
        child.stdin.on('error', () => undefined);
        child.stderr.on('data', (chunk) => {
            this.stderr = (this.stderr + chunk.toString('utf8')).slice(-4096);
        });
        // What it wrote before it ended may still be on its way: the end of its output decides (route).
        this.exited = new Promise(resolve => {
            child.on('exit', (code, signal) => {
                this.exit = lastLine(this.stderr) || `exit code ${code ?? signal}`;
                resolve();
            });
            child.on('error', error => {
                this.die(new Error(`could not start the zstd program (${error.message})`));
                resolve();
            });
        });
        void this.route();
        this.idle(true);
    }
    /** True while it can take another input. */
    get usable() {
        return this.dead === undefined && this.exit === undefined && this.next < INPUTS_PER_PROGRAM;
    }
    /** Starts the next input: returns the compressor that feeds it. */
    async begin(output) {
        this.idle(false);
        const pipe = (0,external_node_path_namespaceObject.join)(this.dir, String(this.next++));
        let ended;
        let failed;
        const finished = new Promise((resolve, reject) => {
            ended = resolve;
            failed = reject;
        });
        finished.catch(() => undefined);
        const input = { output, dropping: false, ended, failed };
        this.current = input;
        let socket;
        try {
            socket = new external_node_net_namespaceObject.Socket({ fd: await this.openPipe(pipe), readable: false, writable: true });
        }
        catch (error) {
            this.current = undefined;
            this.die(errors_asError(error));
            throw error;
        }
        return new LaneInput(this, input, socket, finished);
    }
    /** The input's frame is out (or dropped): the lane takes the next upload. */
    release() {
        if (this.usable) {
            idleLanes.push(this);
            this.idle(true);
        }
        else
            this.retire();
    }
    /** Ends the program (its watchdog also stops zstd once stdin closes) and removes its pipes. */
    retire() {
        clearTimeout(this.idleTimer);
        const at = idleLanes.indexOf(this);
        if (at >= 0)
            idleLanes.splice(at, 1);
        this.child.stdin.end();
        this.child.kill();
        // Waited for, briefly: reaped here, the program's CPU counts as this process's children's.
        if (this.exit === undefined)
            this.child.ref();
        (0,external_node_fs_namespaceObject.rmSync)(this.dir, { recursive: true, force: true });
    }
    /** Opens the write end once zstd has opened the read end; zstd opens its inputs in order. */
    async openPipe(pipe) {
        const deadline = Date.now() + OPEN_TIMEOUT_MS;
        for (;;) {
            if (this.dead !== undefined)
                throw this.dead;
            if (this.exit !== undefined)
                throw new Error(`the zstd program ended (${this.exit})`);
            try {
                return (0,external_node_fs_namespaceObject.openSync)(pipe, external_node_fs_namespaceObject.constants.O_WRONLY | external_node_fs_namespaceObject.constants.O_NONBLOCK);
            }
            catch (error) {
                const code = error.code;
                // ENOENT: the pipes are not made yet; ENXIO: zstd has not opened this one yet.
                if ((code !== 'ENOENT' && code !== 'ENXIO') || Date.now() > deadline)
                    throw new Error(`the zstd program did not open its next input: ${errors_asError(error).message}`, { cause: error });
            }
            await sleep(1);
        }
    }
    /** Hands each input's frame to its upload, and says when the frame ended. */
    async route() {
        try {
            for await (const chunk of this.child.stdout) {
                for (let at = 0; at < chunk.length;) {
                    const input = this.current;
                    if (input === undefined)
                        throw new Error('the zstd program wrote output no input asked for');
                    const end = this.frames.end(chunk.subarray(at));
                    const piece = chunk.subarray(at, end < 0 ? chunk.length : at + end);
                    if (!input.dropping && piece.length > 0) {
                        try {
                            await input.output(piece);
                        }
                        catch (error) {
                            input.failure ??= errors_asError(error);
                            input.dropping = true;
                        }
                    }
                    if (end < 0)
                        break;
                    at += end;
                    this.current = undefined;
                    if (input.failure !== undefined)
                        input.failed(input.failure);
                    else
                        input.ended();
                }
            }
            // Its output closed: the program ended too, and what it said last says why (stdbuf missing, say).
            await Promise.race([
                Promise.all([this.exited, new Promise(resolve => this.child.stderr.once('close', resolve))]),
                new Promise(resolve => setTimeout(resolve, 2000).unref())
            ]);
            this.die(new Error(`the zstd program ended (${lastLine(this.stderr) || this.exit || 'its output closed'})`));
        }
        catch (error) {
            this.die(errors_asError(error));
        }
    }
    die(error) {
        this.dead ??= error;
        const input = this.current;
        this.current = undefined;
        if (input !== undefined) {
            input.failure ??= this.dead;
            input.failed(input.failure);
        }
        this.retire();
        lanes.delete(this);
    }
    /** An idle lane keeps nothing alive and ends after IDLE_MS; a busy one is waited for. */
    idle(idle) {
        clearTimeout(this.idleTimer);
        for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr])
            if (idle)
                handle.unref();
            else
                handle.ref();
        if (idle) {
            this.idleTimer = setTimeout(() => this.retire(), IDLE_MS);
            this.idleTimer.unref();
        }
    }
}
/** One upload's input to a lane: frames are written into its pipe, and the frame comes back on the lane's stdout. */
class LaneInput {
    lane;
    input;
    socket;
    finished;
    closed = false;
    released = false;
    constructor(lane, input, socket, finished) {
        this.lane = lane;
        this.input = input;
        this.socket = socket;
        this.finished = finished;
        socket.on('error', (error) => {
            input.failure ??= new Error(`writing to the zstd program failed: ${error.message}`);
        });
    }
    async consume(frame) {
        await writeFrame(this.socket, frame, () => this.input.failure);
    }
    async end() {
        this.close(false);
        try {
            await this.finished;
        }
        finally {
            this.giveBack();
        }
    }
    async abort() {
        this.input.dropping = true;
        this.close(true);
        await this.finished.catch(() => undefined);
        this.giveBack();
    }
    /** The end of input: zstd ends the frame once the pipe's write end is closed. */
    close(now) {
        if (this.closed)
            return;
        this.closed = true;
        if (now)
            this.socket.destroy();
        else
            this.socket.end();
    }
    giveBack() {
        if (this.released)
            return;
        this.released = true;
        this.lane.release();
        laneSlots.release(1);
    }
}
/** Every lane of this process, ended when it exits; and those free for the next upload. */
const lanes = new Set();
const idleLanes = [];
process.once('exit', () => {
    for (const lane of lanes)
        lane.retire();
});
/** Ends the lanes no upload is using, and waits until their programs have exited. */
async function retireIdleLanes() {
    const idle = idleLanes.splice(0);
    for (const lane of idle)
        lane.retire();
    await Promise.all(idle.map(lane => lane.exited));
}
/** Compresses one upload's NAR in a free lane, or a new one, once fewer than LANES are busy. */
async function openLaneCompressor(level, output, signal) {
    await laneSlots.acquire(1, signal);
    try {
        for (;;) {
            const at = idleLanes.findIndex(lane => lane.level === level && lane.usable);
            const lane = at >= 0 ? idleLanes.splice(at, 1)[0] : new ZstdLane(level);
            try {
                return await lane.begin(output);
            }
            catch (error) {
                // A lane that died while idle is replaced; a new one that cannot start is the answer.
                if (at < 0)
                    throw error;
            }
        }
    }
    catch (error) {
        laneSlots.release(1);
        throw error;
    }
}
const CHECK_TIMEOUT_MS = 10_000;
let lanesChecked;
/**
 * Whether lanes work here: a lane compresses two inputs, each frame must arrive whole once its
 * input ends (stdbuf took effect), and `zstd -d` must give back both inputs. Undefined when
 * they work, else why not (the caller then starts one zstd per path). Decided once per process.
 */
function zstd_lanes_lanesProblem(level) {
    lanesChecked ??= forcedZstdPerPath() ? Promise.resolve('NIX_CACHIX_BUILD_ZSTD=process-per-path') : checkLanes(level);
    return lanesChecked;
}
async function checkLanes(level) {
    const samples = [Buffer.from('nix-archive-1'.repeat(5000)), Buffer.from('(type regular contents)'.repeat(3000))];
    const out = [];
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`a frame did not arrive within ${CHECK_TIMEOUT_MS / 1000} s`)), CHECK_TIMEOUT_MS);
    });
    try {
        for (const sample of samples) {
            const compressor = await Promise.race([
                openLaneCompressor(level, chunk => {
                    out.push(Buffer.from(chunk));
                    return Promise.resolve();
                }),
                timeout
            ]);
            const bytes = Buffer.from(sample);
            await compressor.consume({ bytes, release: () => undefined, recycle: () => undefined });
            // Waiting for the frame before the next input starts: that is what stdbuf must make true.
            await Promise.race([compressor.end(), timeout]);
        }
        const back = await decompressWithTool(Buffer.concat(out));
        return back.equals(Buffer.concat(samples)) ? undefined : 'its frames did not decompress to the inputs with zstd -d';
    }
    catch (error) {
        for (const lane of lanes)
            lane.retire();
        return errors_asError(error).message;
    }
    finally {
        clearTimeout(timer);
    }
}

;// CONCATENATED MODULE: external "node:stream"
const external_node_stream_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:stream");
;// CONCATENATED MODULE: ./src/nix/format/nar.ts





const PADDING = Buffer.alloc(8);
const SLASH = Buffer.from('/');
/** NAR token framing: u64le length, bytes, zero padding to 8. */
function nar_frame(bytes) {
    const length = Buffer.alloc(8);
    length.writeBigUInt64LE(BigInt(bytes.length));
    const pad = (8 - (bytes.length % 8)) % 8;
    return pad === 0 ? [length, bytes] : [length, bytes, PADDING.subarray(0, pad)];
}
const TOKENS = new Map();
function token(text) {
    let cached = TOKENS.get(text);
    if (!cached) {
        cached = Buffer.concat(nar_frame(Buffer.from(text)));
        TOKENS.set(text, cached);
    }
    return cached;
}
async function put(sink, ...pieces) {
    for (const piece of pieces) {
        const wait = sink.add(piece);
        if (wait)
            await wait;
    }
}
// Files up to this size are read with synchronous calls: store files were just written and
// sit in the page cache, and three trips through the thread pool (open, read, close) cost far
// more than the read itself (most files of a store path are this small).
const SMALL_FILE = 64 * 1024;
async function entry(path, sink) {
    const stat = (0,external_node_fs_namespaceObject.lstatSync)(path);
    await put(sink, token('('), token('type'));
    if (stat.isSymbolicLink()) {
        await put(sink, token('symlink'), token('target'), ...nar_frame((0,external_node_fs_namespaceObject.readlinkSync)(path, { encoding: 'buffer' })));
    }
    else if (stat.isFile()) {
        await put(sink, token('regular'));
        // Only the owner's execute bit counts, as in Nix.
        if (stat.mode & 0o100)
            await put(sink, token('executable'), token(''));
        const length = Buffer.alloc(8);
        length.writeBigUInt64LE(BigInt(stat.size));
        await put(sink, token('contents'), length);
        // The sink reads the contents straight into its own buffer.
        if (stat.size <= SMALL_FILE) {
            const fd = (0,external_node_fs_namespaceObject.openSync)(path, 'r');
            try {
                await sink.addFile((target, offset, size, position) => (0,external_node_fs_namespaceObject.readSync)(fd, target, offset, size, position), stat.size, path.toString());
            }
            finally {
                (0,external_node_fs_namespaceObject.closeSync)(fd);
            }
        }
        else {
            const handle = await (0,promises_namespaceObject.open)(path, 'r');
            try {
                await sink.addFile(async (target, offset, size, position) => (await handle.read(target, offset, size, position)).bytesRead, stat.size, path.toString());
            }
            finally {
                await handle.close();
            }
        }
        const pad = (8 - (stat.size % 8)) % 8;
        if (pad > 0)
            await put(sink, PADDING.subarray(0, pad));
    }
    else if (stat.isDirectory()) {
        await put(sink, token('directory'));
        // Nix orders entries by their bytes (std::map<std::string>), not by locale.
        const names = (0,external_node_fs_namespaceObject.readdirSync)(path, { encoding: 'buffer' }).sort((a, b) => Buffer.compare(a, b));
        for (const name of names) {
            await put(sink, token('entry'), token('('), token('name'), ...nar_frame(name), token('node'));
            // Buffer paths: a name need not be valid UTF-8.
            await entry(Buffer.concat([path, SLASH, name]), sink);
            await put(sink, token(')'));
        }
    }
    else {
        throw new Error(`${path.toString()} has a file type NAR cannot hold`);
    }
    await put(sink, token(')'));
}
/**
 * Writes the NAR serialisation of a file system tree, as `nix-store --dump` writes it, into
 * `sink`, in this process: no program start per store path. Callers check the result against
 * narHash.
 */
async function writeNar(path, sink) {
    await put(sink, token('nix-archive-1'));
    await entry(Buffer.from(path), sink);
}
/**
 * Reads exactly `size` bytes with `read` into `target` at `offset`, from file position
 * `position`; a promise only when the reader gave one.
 */
function readExactly(read, target, offset, size, position, path) {
    for (let done = 0; done < size;) {
        const got = read(target, offset + done, size - done, position + done);
        if (typeof got !== 'number')
            // The reader went asynchronous: the rest is awaited, the synchronous path never makes a promise.
            return got.then(async (first) => {
                for (let bytesRead = first;; bytesRead = await read(target, offset + done, size - done, position + done)) {
                    if (bytesRead === 0)
                        throw new Error(`${path} changed size while being read`);
                    done += bytesRead;
                    if (done >= size)
                        return;
                }
            });
        // A file that changed size while being read cannot be serialised faithfully.
        if (got === 0)
            throw new Error(`${path} changed size while being read`);
        done += got;
    }
    return undefined;
}
const FILE_CHUNK = (/* unused pure expression or super */ null && (1024 * 1024));
/** The NAR of a tree as a byte stream, with backpressure (uploads write into a sink instead). */
function narStream(path) {
    const out = new PassThrough({ highWaterMark: FILE_CHUNK });
    const write = (bytes) => {
        if (out.destroyed)
            return Promise.reject(new Error('the NAR stream was closed'));
        if (out.write(bytes))
            return undefined;
        return drainedOrClosed(out);
    };
    const sink = {
        add: bytes => write(Buffer.from(bytes)),
        addFile: async (read, size, file) => {
            for (let position = 0; position < size; position += FILE_CHUNK) {
                const buffer = Buffer.allocUnsafe(Math.min(FILE_CHUNK, size - position));
                await readExactly(read, buffer, 0, buffer.length, position, file);
                const wait = write(buffer);
                if (wait)
                    await wait;
            }
        }
    };
    writeNar(path, sink).then(() => out.end(), (error) => out.destroy(asError(error)));
    return out;
}

;// CONCATENATED MODULE: ./src/nix/format/signing.ts

// PKCS#8 / SPKI DER prefixes for a raw 32-byte ed25519 key; node:crypto only takes wrapped keys.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
function keyFromSeed(seed, name) {
    const privateKey = (0,external_node_crypto_namespaceObject.createPrivateKey)({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
    const spki = (0,external_node_crypto_namespaceObject.createPublicKey)(privateKey).export({ format: 'der', type: 'spki' });
    return { name, seed, publicKey: Buffer.from(spki.subarray(SPKI_PREFIX.length)), privateKey };
}
/**
 * Accepts both key formats users have: Cachix's CACHIX_SIGNING_KEY (base64 of the 64-byte
 * libsodium secret key, seed then public key) and Nix's secret key file (`name:base64`).
 */
function parseSigningKey(text) {
    const trimmed = text.trim();
    if (trimmed === '')
        throw new Error('the signing key is empty: pass the base64 Cachix key or a Nix "name:base64" secret key');
    const colon = trimmed.indexOf(':');
    const name = colon >= 0 ? trimmed.slice(0, colon) : undefined;
    const body = colon >= 0 ? trimmed.slice(colon + 1) : trimmed;
    if (name === '')
        throw new Error('the signing key starts with ":": a Nix secret key has the form "name:base64"');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) {
        throw new Error('the signing key is not base64: pass the Cachix key (base64 of 64 bytes) or a Nix "name:base64" secret key');
    }
    const bytes = Buffer.from(body, 'base64');
    if (bytes.length !== 64) {
        throw new Error(`the signing key decodes to ${bytes.length} bytes, expected 64 (an ed25519 secret key); is it the public key?`);
    }
    const key = keyFromSeed(bytes.subarray(0, 32), name);
    if (!key.publicKey.equals(bytes.subarray(32))) {
        throw new Error('the signing key is corrupt: its second half is not the public key of its first half');
    }
    return key;
}
/** base64 of the 64-byte detached signature, with no key name (Cachix's cSig). */
function signFingerprint(key, fingerprintText) {
    return (0,external_node_crypto_namespaceObject.sign)(null, Buffer.from(fingerprintText, 'utf8'), key.privateKey).toString('base64');
}
function verifyFingerprint(publicKey, fingerprintText, signatureBase64) {
    const keyObject = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    const signature = Buffer.from(signatureBase64, 'base64');
    if (signature.length !== 64)
        return false;
    return verify(null, Buffer.from(fingerprintText, 'utf8'), keyObject, signature);
}
/** `name:base64(publicKey)`, the form `trusted-public-keys` takes. */
function publicKeyString(name, publicKey) {
    return `${name}:${publicKey.toString('base64')}`;
}

;// CONCATENATED MODULE: ./src/push/upload/buffer-pool.ts
/**
 * A buffer in memory shared with the hash threads, so they read it where it lies instead of
 * receiving a copy. Its contents are arbitrary.
 */
function sharedBuffer(bytes) {
    return Buffer.from(new SharedArrayBuffer(bytes));
}
/**
 * Reuses buffers of one size. Streams of large, short-lived buffers are what make a push's
 * memory peak: each freed one lingers until V8 collects it, so a NAR of 2 GiB would otherwise
 * leave hundreds of MiB of garbage behind it between collections.
 */
class BufferPool {
    size;
    keep;
    free = [];
    constructor(size, keep) {
        this.size = size;
        this.keep = keep;
    }
    /** A shared buffer of `bytes`; pooled when it is the pool's size. Its contents are arbitrary. */
    take(bytes) {
        if (bytes === this.size)
            return this.free.pop() ?? sharedBuffer(this.size);
        return sharedBuffer(bytes);
    }
    /** Hands a buffer back once nothing reads it any more. */
    give(buffer) {
        if (buffer.length === this.size && buffer.byteOffset === 0 && this.free.length < this.keep)
            this.free.push(buffer);
    }
}
/**
 * Reuses buffers in size classes: powers of two from `minClass` to `maxClass`. Every size of a
 * push's parts then comes from a few classes, so paths of any size leave little garbage. At
 * most `keepBytes` are kept in all, whatever the classes.
 */
class SizeClassPool {
    minClass;
    maxClass;
    keepBytes;
    free = new Map();
    kept = 0;
    constructor(minClass, maxClass, keepBytes) {
        this.minClass = minClass;
        this.maxClass = maxClass;
        this.keepBytes = keepBytes;
    }
    /** The class that holds `bytes`: the smallest power of two from minClass on; above maxClass, `bytes` itself (never pooled). */
    classOf(bytes) {
        if (bytes > this.maxClass)
            return bytes;
        let size = this.minClass;
        while (size < bytes)
            size *= 2;
        return Math.min(size, this.maxClass);
    }
    /** A buffer of classOf(bytes), pooled or new; its contents are arbitrary. */
    take(bytes) {
        const size = this.classOf(bytes);
        const reused = bytes > this.maxClass ? undefined : this.free.get(size)?.pop();
        if (reused === undefined)
            return sharedBuffer(size);
        this.kept -= size;
        return reused;
    }
    /** Hands a buffer from `take` back once nothing reads it any more; views and other sizes are left to the collector. */
    give(buffer) {
        if (buffer.byteOffset !== 0 || buffer.buffer.byteLength !== buffer.length)
            return;
        if (buffer.length > this.maxClass || this.classOf(buffer.length) !== buffer.length)
            return;
        if (this.kept + buffer.length > this.keepBytes)
            return;
        let list = this.free.get(buffer.length);
        if (!list)
            this.free.set(buffer.length, (list = []));
        list.push(buffer);
        this.kept += buffer.length;
    }
}

;// CONCATENATED MODULE: ./src/push/upload/compressor.ts









/**
 * NAR bytes per independent zstd frame (Nix 2.35 itself writes 16 MiB frames). Small enough that
 * the frames filling, compressing and compressed of a whole push weigh about 12 MiB; frames of 4
 * MiB compress 0.4% smaller and took the same CPU (measured).
 */
const FRAME_BYTES = 2 * 1024 * 1024;
const poolThreads = Math.min(4, Math.max(2, (0,external_node_os_namespaceObject.availableParallelism)()));
// Frames compressing at once across all uploads: the libuv pool has four threads.
const compressionSlots = new ByteBudget(poolThreads);
/**
 * Frames filling, compressing or being hashed at once, across all uploads of this process: two
 * per thread compressing and two filling. A frame is free once both its compression and its
 * hash are done, and the hash runs on another thread at its own pace: with one frame per
 * thread, the compressors waited for frames (measured).
 */
const FRAMES_AT_ONCE = 2 * poolThreads + 2;
/** NAR bytes held in those frames. */
const frameMemory = new ByteBudget(FRAMES_AT_ONCE * FRAME_BYTES);
/** Frame buffers, all FRAME_BYTES long (a small NAR uses the start of one), reused: frameMemory bounds how many exist. */
const framePool = new BufferPool(FRAME_BYTES, FRAMES_AT_ONCE);
/**
 * What frames compress into, reused: a compressed frame waits in one until its upload copies it
 * into a part. Their number is not capped (an upload waiting for part memory keeps its frames),
 * but one upload has at most one per compression slot, and a single NAR uses three.
 */
const outputPool = new BufferPool(compressedBound(FRAME_BYTES), 8);
/** zstd contexts by level, free for the next frame (at most one per compression slot exists). */
const idleContexts = new Map();
function compressorArgs(method, level) {
    // -T0: as many threads as cores, so one large NAR still uses the whole machine.
    return method === 'zstd' ? ['zstd', ['-q', '-c', `-${level}`, '-T0']] : ['xz', ['-c', `-${level}`, '-T0']];
}
/** Which compressor `openCompressor` uses for `method` in this process. */
async function compressorName(method) {
    if (method === 'xz')
        return 'xz process';
    const engine = await zstdEngine();
    if (engine.kind === 'process') {
        const problem = await lanesProblem(2);
        return problem === undefined
            ? `zstd program, long-lived, one input per upload at a time (${engine.reason})`
            : `zstd process per path (${engine.reason}; no long-lived program: ${problem})`;
    }
    return engine.note === undefined
        ? 'node:zlib zstd, parallel frames'
        : `node:zlib zstd, parallel frames (one-shot API: ${engine.note})`;
}
/**
 * zstd runs in process where Node has it: each frame compresses on the thread pool as an
 * independent zstd frame, several at once, emitted in order (concatenated frames are one valid
 * zstd stream). Otherwise a long-lived zstd program takes the upload (zstd-lanes.ts), or where
 * that cannot run, a zstd program per path; xz is always a program per path.
 */
async function openCompressor(method, level, output, signal) {
    if (method === 'zstd') {
        const engine = await zstd_in_process_zstdEngine();
        if (engine.kind === 'in-process')
            return new ParallelZstdFrames(level, output, signal, engine);
        if ((await zstd_lanes_lanesProblem(level)) === undefined)
            return openLaneCompressor(level, output, signal);
    }
    return new CompressorProcess(method, level, output);
}
/** One frame of `input` through a reused zstd context into a pooled buffer. */
async function compressWithContext(Handle, input, level) {
    let idle = idleContexts.get(level);
    if (!idle)
        idleContexts.set(level, (idle = []));
    const context = idle.pop() ?? new ZstdContext(Handle, level);
    const owner = outputPool.take(compressedBound(FRAME_BYTES));
    try {
        return { bytes: owner.subarray(0, await context.compress(input, owner)), owner };
    }
    catch (error) {
        outputPool.give(owner);
        throw error;
    }
    finally {
        if (context.usable)
            idle.push(context);
    }
}
class ParallelZstdFrames {
    level;
    output;
    signal;
    engine;
    pending = [];
    stopped = false;
    constructor(level, output, signal, engine) {
        this.level = level;
        this.output = output;
        this.signal = signal;
        this.engine = engine;
    }
    async consume(frame) {
        const contexts = this.engine.contexts;
        const compressed = (async () => {
            try {
                await compressionSlots.acquire(1, this.signal);
                try {
                    if (contexts !== undefined)
                        return await compressWithContext(contexts, frame.bytes, this.level);
                    return { bytes: await compressFrame(frame.bytes, this.level) };
                }
                finally {
                    compressionSlots.release(1);
                }
            }
            finally {
                frame.release();
                frame.recycle();
            }
        })();
        // Handled at once: a frame behind a failed one is never awaited.
        compressed.catch(() => undefined);
        this.pending.push({ compressed });
        while (this.pending.length >= poolThreads)
            await this.emitOldest();
    }
    async end() {
        while (this.pending.length > 0)
            await this.emitOldest();
    }
    async abort() {
        this.stopped = true;
        const left = this.pending.splice(0);
        for (const settled of await Promise.allSettled(left.map(p => p.compressed))) {
            if (settled.status === 'fulfilled' && settled.value.owner)
                outputPool.give(settled.value.owner);
        }
    }
    async emitOldest() {
        const oldest = this.pending.shift();
        if (oldest === undefined)
            return;
        const frame = await oldest.compressed;
        try {
            // The output copies what it keeps, so the buffer is free again once it returns.
            if (!this.stopped)
                await this.output(frame.bytes);
        }
        finally {
            if (frame.owner)
                outputPool.give(frame.owner);
        }
    }
}
class CompressorProcess {
    child;
    exited;
    reading;
    failure;
    constructor(method, level, output) {
        const [command, args] = compressorArgs(method, level);
        // The compressor needs nothing from the environment but PATH, and gets nothing else.
        this.child = (0,external_node_child_process_namespaceObject.spawn)(command, args, {
            stdio: ['pipe', 'pipe', 'pipe'],
            env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }
        });
        const child = this.child;
        let stderr = '';
        child.stderr.on('data', (chunk) => {
            stderr += chunk.toString('utf8');
        });
        child.stdin.on('error', () => undefined);
        this.exited = new Promise((resolve, reject) => {
            child.on('error', error => reject(new Error(`could not start ${command} (install the ${method === 'zstd' ? 'zstd' : 'xz-utils'} package): ${error.message}`)));
            child.on('close', code => code === 0 ? resolve() : reject(new Error(`${command} failed: ${lastLine(stderr) || `exit code ${code}`}`)));
        });
        this.exited.catch((error) => (this.failure ??= errors_asError(error)));
        this.reading = (async () => {
            for await (const chunk of child.stdout)
                await output(chunk);
        })();
        this.reading.catch((error) => {
            this.failure ??= errors_asError(error);
            child.kill('SIGKILL');
        });
    }
    async consume(frame) {
        await writeFrame(this.child.stdin, frame, () => this.failure);
    }
    async end() {
        this.child.stdin.end();
        await this.reading;
        // A compressor that died early ends its output too: its exit status decides.
        await this.exited;
    }
    async abort() {
        this.child.kill('SIGKILL');
        await Promise.allSettled([this.reading, this.exited]);
    }
}

;// CONCATENATED MODULE: ./src/util/once.ts
/** `fn`, run at most once however often the result is called (a release that two paths may both reach). */
function once(fn) {
    let done = false;
    return () => {
        if (done)
            return;
        done = true;
        fn();
    };
}

;// CONCATENATED MODULE: ./src/push/upload/frame-sink.ts




/**
 * Cuts a NAR into frames as it is written: small pieces are copied in, file contents are read
 * straight into the frame, and each full frame goes to the NAR hash and to the compressor at
 * once. Frame buffers are pooled, and their memory is reserved before they fill; a frame is
 * free again once both the hash and the compressor are done with it.
 */
class FrameSink {
    compressor;
    narHash;
    signal;
    frame;
    filled = 0;
    reserved = 0;
    /** NAR bytes written so far. */
    narSize = 0;
    /** The first failure of the NAR hash, thrown by `narDigest`. */
    hashFailure;
    constructor(compressor, narHash, signal) {
        this.compressor = compressor;
        this.narHash = narHash;
        this.signal = signal;
    }
    add(bytes) {
        if (this.frame !== undefined && this.frame.length - this.filled >= bytes.length) {
            bytes.copy(this.frame, this.filled);
            this.filled += bytes.length;
            this.narSize += bytes.length;
            return undefined;
        }
        return this.addAcrossFrames(bytes);
    }
    async addFile(read, size, path) {
        for (let position = 0; position < size;) {
            const frame = this.frame !== undefined && this.filled < this.frame.length ? this.frame : await this.room();
            const take = Math.min(frame.length - this.filled, size - position);
            const reading = readExactly(read, frame, this.filled, take, position, path);
            if (reading)
                await reading;
            this.filled += take;
            this.narSize += take;
            position += take;
        }
    }
    /** The NAR is complete: the last frame goes to the compressor, which then finishes. */
    async end() {
        if (this.frame !== undefined && this.filled > 0)
            await this.flush();
        this.dropFrame();
        await this.compressor.end();
    }
    /** The NAR's sha256, once every frame was hashed (after `end`). */
    async narDigest() {
        const digest = await this.narHash.digest();
        // The thread answers in order: every frame's update has settled by now.
        if (this.hashFailure !== undefined)
            throw this.hashFailure;
        return digest;
    }
    /** Frees the frame being filled (the compressor frees what it was given) and the NAR hash. */
    abort() {
        this.dropFrame();
        this.narHash.discard();
    }
    async addAcrossFrames(bytes) {
        for (let offset = 0; offset < bytes.length;) {
            const frame = await this.room();
            const take = Math.min(frame.length - this.filled, bytes.length - offset);
            bytes.copy(frame, this.filled, offset, offset + take);
            this.filled += take;
            this.narSize += take;
            offset += take;
        }
    }
    /** A frame with free space: the current one, or a new one once the full one is handed on. */
    async room() {
        if (this.frame !== undefined && this.filled < this.frame.length)
            return this.frame;
        if (this.frame !== undefined)
            await this.flush();
        // Every frame buffer is a whole pooled one, also for a NAR of a few bytes: buffers of one
        // size are reused rather than left to the garbage collector.
        this.reserved = await frameMemory.acquire(FRAME_BYTES, this.signal);
        this.frame = framePool.take(FRAME_BYTES);
        this.filled = 0;
        return this.frame;
    }
    async flush() {
        const { frame, filled, reserved } = this.takeFrame();
        if (frame === undefined)
            return;
        const full = frame.subarray(0, filled);
        // Two readers, the NAR hash and the compressor: the frame's memory is released, and its
        // buffer handed back, once both are done with it.
        const release = afterBoth(() => frameMemory.release(reserved));
        const recycle = afterBoth(() => framePool.give(frame));
        const hashed = () => {
            release();
            recycle();
        };
        this.narHash.update(full).then(hashed, (error) => {
            this.hashFailure ??= errors_asError(error);
            hashed();
        });
        // Compressed in process, the frame is free once compressed; written to a program, once written.
        await this.compressor.consume({ bytes: full, release: once(release), recycle: once(recycle) });
    }
    dropFrame() {
        const { frame, reserved } = this.takeFrame();
        if (reserved > 0)
            frameMemory.release(reserved);
        if (frame !== undefined)
            framePool.give(frame);
    }
    /** The frame being filled, how much of it is, and its memory: the sink holds none of them after. */
    takeFrame() {
        const taken = { frame: this.frame, filled: this.filled, reserved: this.reserved };
        this.frame = undefined;
        this.filled = 0;
        this.reserved = 0;
        return taken;
    }
}
/** Runs `step` on the second call. */
function afterBoth(step) {
    let calls = 0;
    return () => {
        if (++calls === 2)
            step();
    };
}

;// CONCATENATED MODULE: external "node:worker_threads"
const external_node_worker_threads_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:worker_threads");
;// CONCATENATED MODULE: ./src/push/upload/hash-thread.ts

/**
 * The hash thread's program. It is handed to the thread as source text (`${hashThreadMain}`),
 * so it runs the same from the bundles in dist/, from the tests' TypeScript and from the
 * bench's compiled children: it reaches node's modules through process.getBuiltinModule and
 * refers to nothing outside itself.
 */
function hashThreadMain() {
    const { createHash } = process.getBuiltinModule('node:crypto');
    const { parentPort } = process.getBuiltinModule('node:worker_threads');
    const streams = new Map();
    const port = parentPort;
    port.on('message', (request) => {
        if (request.op === 'drop') {
            streams.delete(request.stream);
            return;
        }
        try {
            let hash = streams.get(request.stream);
            if (hash === undefined)
                streams.set(request.stream, (hash = createHash('sha256')));
            if (request.op === 'digest') {
                streams.delete(request.stream);
                port.postMessage({ seq: request.seq, digest: hash.digest() });
                return;
            }
            hash.update(request.bytes);
            const md5 = request.md5 ? createHash('md5').update(request.bytes).digest('base64') : undefined;
            port.postMessage({ seq: request.seq, md5 });
        }
        catch (error) {
            streams.delete(request.stream);
            port.postMessage({ seq: request.seq, error: String(error) });
        }
    });
}
/**
 * The main thread's side of one hash thread. The thread does not keep the process alive while
 * nothing waits for it; a thread that dies fails what was waiting, and `broken` tells the
 * caller to hash on the main thread from then on.
 */
class HashThread {
    worker;
    waiting = new Map();
    nextSeq = 0;
    nextStream = 0;
    /** Why the thread cannot be used any more, once it cannot. */
    broken;
    constructor() {
        this.worker = new external_node_worker_threads_namespaceObject.Worker(`(${hashThreadMain.toString()})()`, { eval: true, name: 'hash' });
        this.worker.on('message', (reply) => this.settle(reply));
        this.worker.on('error', error => this.fail(error));
        this.worker.on('exit', code => this.fail(new Error(`the hash thread exited with code ${code}`)));
        // After the listeners: adding a 'message' listener refs the thread again.
        this.worker.unref();
    }
    /** A new stream's number: its state exists in the thread from its first update on. */
    openStream() {
        return this.nextStream++;
    }
    /** Hashes `bytes` next in `stream`; resolves once the thread has read them (with their MD5 when asked). */
    update(stream, bytes, md5) {
        return this.ask(seq => ({ op: 'update', stream, seq, bytes, md5 }));
    }
    /** The stream's sha256; its state is gone afterwards. */
    async digest(stream) {
        const reply = await this.ask(seq => ({ op: 'digest', stream, seq }));
        return Buffer.from(reply.digest);
    }
    /** Forgets a stream that will not be digested (its upload failed). */
    drop(stream) {
        if (this.broken === undefined)
            this.worker.postMessage({ op: 'drop', stream });
    }
    /** Ends the thread (tests; the process does not wait for it anyway). */
    async stop() {
        this.broken ??= new Error('the hash thread was stopped');
        await this.worker.terminate();
    }
    ask(request) {
        if (this.broken !== undefined)
            return Promise.reject(this.broken);
        const seq = this.nextSeq++;
        return new Promise((resolve, reject) => {
            // Waited for: the process must not end while bytes are being hashed.
            if (this.waiting.size === 0)
                this.worker.ref();
            this.waiting.set(seq, { resolve, reject });
            this.worker.postMessage(request(seq));
        });
    }
    settle(reply) {
        const waiter = this.waiting.get(reply.seq);
        if (waiter === undefined)
            return;
        this.waiting.delete(reply.seq);
        if (this.waiting.size === 0)
            this.worker.unref();
        if (reply.error !== undefined)
            waiter.reject(new Error(`hashing failed: ${reply.error}`));
        else
            waiter.resolve(reply);
    }
    fail(error) {
        this.broken ??= error;
        const waiters = [...this.waiting.values()];
        this.waiting.clear();
        this.worker.unref();
        for (const waiter of waiters)
            waiter.reject(this.broken);
    }
}

;// CONCATENATED MODULE: ./src/push/upload/stream-hash.ts




/** Hashes in this thread: where no hash thread can run, or NIX_CACHIX_BUILD_HASH=main says so. */
class MainThreadHash {
    hash = (0,external_node_crypto_namespaceObject.createHash)('sha256');
    update(bytes) {
        this.hash.update(bytes);
        return Promise.resolve();
    }
    updateWithMd5(bytes) {
        this.hash.update(bytes);
        return Promise.resolve((0,external_node_crypto_namespaceObject.createHash)('md5').update(bytes).digest('base64'));
    }
    digest() {
        return Promise.resolve(this.hash.digest());
    }
    discard() { }
}
class ThreadHash {
    thread;
    stream;
    constructor(thread) {
        this.thread = thread;
        this.stream = thread.openStream();
    }
    async update(bytes) {
        await this.thread.update(this.stream, bytes, false);
    }
    async updateWithMd5(bytes) {
        return (await this.thread.update(this.stream, bytes, true)).md5;
    }
    digest() {
        return this.thread.digest(this.stream);
    }
    discard() {
        this.thread.drop(this.stream);
    }
}
// Per GiB of NAR, the hashes (sha256 of the NAR and of the file, MD5 of the parts) take 1.3-1.9 s
// of one thread, zstd 3.5-4 s spread over all cores and the main thread 1-1.5 s: on two cores
// one hash thread keeps up, on four it would be the slowest step alone. One per two cores, at
// most four (a thread holds about 16 MiB).
const THREADS = Math.min(4, Math.max(1, Math.floor((0,external_node_os_namespaceObject.availableParallelism)() / 2)));
const threads = [];
let turn = 0;
let unavailable = false;
/** NAR bytes queued for upload in this process so far. */
let queuedBytes = 0;
/**
 * A thread costs about 45 ms of CPU to start, what hashing 35 MiB costs: a push smaller than
 * this hashes on the main thread and starts none.
 */
const THREAD_WORTH_BYTES = 64 * 1024 * 1024;
/**
 * Counts NAR bytes about to be uploaded; once they are worth it, starts the hash threads, so
 * the uploads that follow hash off the main thread and none waits for a thread to boot.
 */
function expectHashing(narBytes) {
    queuedBytes += narBytes;
    if (unavailable || hashOnMainThread() || queuedBytes < THREAD_WORTH_BYTES)
        return;
    // The thread's program reaches node's modules this way (Node 20.16 and later).
    if (typeof process.getBuiltinModule !== 'function') {
        unavailable = true;
        return;
    }
    try {
        for (let i = 0; i < THREADS; i++)
            threads[i] ??= new HashThread();
    }
    catch {
        unavailable = true;
    }
}
/** The hash threads of this process that still run. */
function runningHashThreads() {
    return threads.filter(thread => thread.broken === undefined);
}
/**
 * A new stream hash: off the main thread once expectHashing started the hash threads, which
 * take new streams in turn. Once a thread died (failing the uploads it was hashing, which are
 * then retried), every hash of this process runs on the main thread.
 */
function openStreamHash() {
    const running = runningHashThreads();
    if (running.length < threads.length)
        unavailable = true;
    if (unavailable || running.length === 0)
        return new MainThreadHash();
    return new ThreadHash(running[turn++ % running.length]);
}

;// CONCATENATED MODULE: ./src/push/upload/part-writer.ts



const MIN_RESERVATION = 64 * 1024;
/** Parts of 8 MiB: small enough that a few in flight stay within the memory goal, far above Cachix's 5 MiB minimum. */
const DEFAULT_PART_SIZE = 8 * 1024 * 1024;
// Part buffers by size class up to a full part of the default size, reused; the byte budget
// bounds how many exist at once.
const partPool = new SizeClassPool(MIN_RESERVATION, DEFAULT_PART_SIZE, 4 * DEFAULT_PART_SIZE + 2 * 1024 * 1024);
/** A part buffer of exactly `bytes`: pooled when that is a class of the pool (a part of another size is not). */
function partBuffer(bytes) {
    return partPool.classOf(bytes) === bytes ? partPool.take(bytes) : sharedBuffer(bytes);
}
/**
 * The compressed stream of one upload, cut into parts: owns the memory budget, the part's
 * pieces and MD5, the presign and PUT of each part, and their cancellation. A failed part
 * stops the writer; the next write or finish throws that failure.
 */
class PartWriter {
    options;
    buffer;
    filled = 0;
    reserved = 0;
    /** sha256 of the file, fed part by part (with each part's MD5) off the main thread. */
    fileHash = openStreamHash();
    fileSize = 0;
    partNumber = 0;
    sent = [];
    inFlight = new Set();
    failure;
    stopper = new AbortController();
    constructor(options) {
        this.options = options;
        const outer = options.signal;
        if (outer.aborted)
            this.stopper.abort(outer.reason);
        else
            outer.addEventListener('abort', () => this.stopper.abort(outer.reason), {
                once: true,
                signal: this.stopper.signal
            });
    }
    /** Aborts with the first failure of this upload, or with the caller's signal. */
    get signal() {
        return this.stopper.signal;
    }
    /** Copies `chunk` into the part buffers (the caller may reuse it once this returns). */
    async write(chunk) {
        this.throwIfStopped();
        this.fileSize += chunk.length;
        const { partSize } = this.options;
        for (let offset = 0; offset < chunk.length;) {
            const buffer = this.buffer ?? (await this.reserve());
            const room = buffer.length === this.filled ? this.widen() : buffer;
            const take = Math.min(room.length - this.filled, chunk.length - offset);
            chunk.copy(room, this.filled, offset, offset + take);
            this.filled += take;
            offset += take;
            if (this.filled === partSize)
                await this.flush();
        }
    }
    /** Sends the last part, waits for every part, and returns what the completion needs. */
    async finish() {
        this.throwIfStopped();
        if (this.filled > 0 || this.partNumber === 0)
            await this.flush();
        await Promise.all(this.inFlight);
        this.throwIfStopped();
        const ordered = [...this.sent].sort((a, b) => a.partNumber - b.partNumber);
        const parts = ordered.some(p => p.eTag === undefined)
            ? null
            : ordered.map(p => ({ partNumber: p.partNumber, eTag: p.eTag ?? '' }));
        return {
            fileHash: (await this.fileHash.digest()).toString('hex'),
            fileSize: this.fileSize,
            parts,
            partCount: ordered.length
        };
    }
    /** Stops every part in flight and frees the memory this upload holds. */
    async abort(reason = new Error('upload stopped')) {
        this.stopper.abort(reason);
        this.dropBuffer();
        await Promise.all(this.inFlight);
        this.fileHash.discard();
    }
    /** Reserves and allocates the next part's buffer before it fills, so a started part can always finish. */
    async reserve() {
        this.reserved = await this.options.budget.acquire(this.nextPartBytes(), this.stopper.signal);
        return this.allocate();
    }
    /** What the next part's buffer should hold: a size class of the pool below half a part (less than twice the estimate), else a whole part. */
    nextPartBytes() {
        const { partSize, expectedBytes } = this.options;
        const estimate = Math.min(partSize, Math.max(MIN_RESERVATION, expectedBytes - this.fileSize + MIN_RESERVATION));
        return estimate * 2 > partSize ? partSize : partPool.classOf(estimate);
    }
    allocate() {
        this.buffer = partBuffer(this.reserved);
        this.filled = 0;
        return this.buffer;
    }
    /**
     * The compressed stream outgrew the estimate: a wider buffer, up to the part size. Its bytes
     * are taken from the budget without waiting, so two uploads that both outgrow never block
     * each other.
     */
    widen() {
        const old = this.buffer;
        const wider = partBuffer(Math.min(this.options.partSize, old.length * 2));
        old.copy(wider, 0, 0, this.filled);
        this.options.budget.take(wider.length - this.reserved);
        this.reserved = wider.length;
        this.buffer = wider;
        partPool.give(old);
        return wider;
    }
    async flush() {
        const partNumber = ++this.partNumber;
        const buffer = this.buffer ?? Buffer.alloc(0);
        const body = buffer.subarray(0, this.filled);
        // Hashed while the next part fills: the part goes out once its MD5 is known.
        const md5 = this.fileHash.updateWithMd5(body);
        md5.catch(() => undefined);
        const held = this.reserved;
        this.buffer = undefined;
        this.filled = 0;
        this.reserved = 0;
        let sent = false;
        const release = () => {
            this.options.budget.release(held);
            // Reused only after a PUT that finished: a failed one may still be writing it.
            if (sent)
                partPool.give(buffer);
        };
        try {
            while (this.inFlight.size >= this.options.partConcurrency)
                await Promise.race(this.inFlight);
            this.throwIfStopped();
        }
        catch (error) {
            release();
            throw error;
        }
        const task = this.send(partNumber, body, md5)
            .then(() => {
            sent = true;
        })
            .catch((error) => {
            this.failure ??= errors_asError(error);
            this.stopper.abort(error);
        })
            .finally(() => {
            release();
            this.inFlight.delete(task);
        });
        this.inFlight.add(task);
    }
    async send(partNumber, body, hashing) {
        const { client, narId, uploadId } = this.options;
        const signal = this.stopper.signal;
        const md5 = await hashing;
        signal.throwIfAborted();
        const url = await client.presignPart(narId, uploadId, partNumber, md5, signal);
        const eTag = await client.putPart(url, body, md5, signal);
        this.sent.push({ partNumber, eTag });
    }
    dropBuffer() {
        if (this.reserved > 0)
            this.options.budget.release(this.reserved);
        if (this.buffer !== undefined)
            partPool.give(this.buffer);
        this.reserved = 0;
        this.buffer = undefined;
        this.filled = 0;
    }
    throwIfStopped() {
        if (this.failure !== undefined)
            throw this.failure;
        if (this.stopper.signal.aborted)
            throw this.stopper.signal.reason instanceof Error ? this.stopper.signal.reason : new Error('upload stopped');
    }
}

;// CONCATENATED MODULE: ./src/push/upload/upload-path.ts













const MIB = 1024 * 1024;
// S3 takes at most 10,000 parts, so a huge NAR gets larger parts.
const MAX_PARTS = 9_000;
/** The NAR read differs from the database's narHash: the store is damaged (or, in process, our serialiser is wrong). */
class NarMismatchError extends Error {
    source;
    constructor(source, message) {
        super(message);
        this.source = source;
    }
}
var NarSource;
(function (NarSource) {
    /** Serialised here from the file system (no program start per path). */
    NarSource["InProcess"] = "in-process";
    /** `nix-store --dump`, the reference. */
    NarSource["NixStore"] = "nix-store";
})(NarSource || (NarSource = {}));
/**
 * Starts what the uploads need before the first one does: the zstd check as soon as paths
 * come (while their closure is read), and the hash threads once `queuedNarBytes` of NAR are
 * queued, when that is worth a thread (stream-hash.ts).
 */
function prepareUploads(compression, queuedNarBytes = 0) {
    if (compression === 'zstd')
        void zstd_in_process_zstdEngine();
    expectHashing(queuedNarBytes);
}
/** The part size for a NAR: the default, or larger where the default would need too many parts. */
function partSizeFor(narSize, partSize) {
    const needed = Math.ceil(narSize / MAX_PARTS / MIB) * MIB;
    return Math.max(partSize, needed);
}
/**
 * Puts one store path's NAR into storage without publishing it: NAR → hash → compress →
 * parts. Nothing holds the whole NAR. Any failure aborts the multipart upload and frees
 * every buffer before it is thrown.
 */
async function stageStorePath(info, settings, signal, source = NarSource.InProcess) {
    const { client } = settings;
    const { narId, uploadId } = await client.createUpload(settings.compression === 'zstd' ? 'zst' : 'xz', signal);
    const writer = new PartWriter({
        client,
        narId,
        uploadId,
        partSize: partSizeFor(info.narSize, settings.partSize),
        partConcurrency: settings.partConcurrency,
        budget: settings.budget,
        expectedBytes: info.narSize,
        signal
    });
    let dump;
    let compressor;
    let sink;
    try {
        compressor = await openCompressor(settings.compression, settings.compressionLevel, chunk => writer.write(chunk), writer.signal);
        sink = new FrameSink(compressor, openStreamHash(), writer.signal);
        // A chroot store keeps its files under another root; a path not found there is dumped by nix-store.
        const physical = `${storeRoot()}${info.path}`;
        if (source === NarSource.InProcess && (0,external_node_fs_namespaceObject.existsSync)(physical))
            await writeNar(physical, sink);
        else {
            dump = settings.store.dumpNar(info.path);
            for await (const chunk of dump.stream) {
                const wait = sink.add(chunk);
                if (wait)
                    await wait;
            }
            await dump.done;
        }
        await sink.end();
        const file = await writer.finish();
        const narSize = sink.narSize;
        const narHash = toNixHash(await sink.narDigest());
        if (narHash !== info.narHash || narSize !== info.narSize) {
            throw new NarMismatchError(source, `${info.path}: the NAR read from disk (${narHash}, ${narSize} bytes) differs from the Nix database (${info.narHash}, ${info.narSize} bytes); repair it with nix-store --verify --repair --check-contents`);
        }
        // Never complete an upload whose bytes went missing on the way (the server would store nothing).
        if (file.fileSize === 0)
            throw new Error(`${info.path}: the ${settings.compression} compressor produced no output`);
        const { hash, name } = store_path_parseStorePath(info.path);
        const narInfoCreate = {
            cStoreHash: hash,
            cStoreSuffix: name,
            cNarHash: narHash,
            cNarSize: narSize,
            cFileHash: file.fileHash,
            cFileSize: file.fileSize,
            cReferences: info.references.map(baseName).sort(),
            cDeriver: info.deriver ? baseName(info.deriver) : 'unknown-deriver',
            cSig: settings.signingKey
                ? signFingerprint(settings.signingKey, fingerprint(info.path, narHash, narSize, info.references))
                : null
        };
        return {
            narId,
            uploadId,
            request: { parts: file.parts, narInfoCreate },
            result: { narSize, fileSize: file.fileSize, fileHash: file.fileHash, parts: file.partCount }
        };
    }
    catch (error) {
        dump?.kill();
        sink?.abort();
        await writer.abort(error);
        await compressor?.abort();
        await client.abortUpload(narId, uploadId).catch(() => undefined);
        throw error;
    }
}
/** Publishes a staged NAR: the narinfo exists from here on. */
async function completeStaged(client, staged, signal) {
    try {
        await client.completeUpload(staged.narId, staged.uploadId, staged.request, signal);
    }
    catch (error) {
        await discardStaged(client, staged);
        throw error;
    }
    return staged.result;
}
/** Gives up a staged NAR (its references could not be published, or the push was cut off). */
async function discardStaged(client, staged) {
    await client.abortUpload(staged.narId, staged.uploadId).catch(() => undefined);
}

;// CONCATENATED MODULE: ./src/push/pusher.ts









/** Shortest time between the starts of two batches of roots while paths keep coming. */
const BATCH_INTERVAL_MS = 1000;
const IN_CACHE = new Set(['present', 'done']);
const NEVER_IN_CACHE = new Set(['filtered', 'invalid', 'failed']);
/**
 * Takes store paths as they appear, expands their closures, asks the cache which are
 * missing and uploads those with bounded concurrency. A path's NAR may be uploaded in any
 * order, but its narinfo is published only once all of its references are in the cache, so
 * the cache never holds a closure with a hole. `drain` says no more paths will come.
 */
class Pusher {
    options;
    state = new Map();
    /** What keeps a path out of the cache for good, for the paths that never will be in it. */
    why = new Map();
    /** For a path blocked by its closure: the path that failed or was excluded. */
    cause = new Map();
    roots = [];
    queue = [];
    active = new Set();
    parked = new Map();
    /** Reference → parked paths waiting for it. */
    dependents = new Map();
    completions = new Set();
    failures = [];
    budget;
    controller = new AbortController();
    started = Date.now();
    counts = {
        uploaded: 0,
        uploadedNarBytes: 0,
        uploadedFileBytes: 0,
        skippedPresent: 0,
        skippedFiltered: 0,
        invalid: 0
    };
    resolving = false;
    /** When the last batch of roots started resolving (ms, performance.now()). */
    lastBatchAt = -Infinity;
    /** Roots whose closure is being expanded right now. */
    inResolution = [];
    closed = false;
    fatal;
    wake = () => undefined;
    wakeSignal = Promise.resolve();
    workers = [];
    constructor(options) {
        this.options = options;
        this.budget = new ByteBudget(Math.max(options.bufferBytes, options.upload.partSize));
        // Every upload and request in flight listens on this one signal; that is not a leak.
        (0,external_node_events_namespaceObject.setMaxListeners)(0, this.controller.signal);
        this.resetWake();
        for (let i = 0; i < options.jobs; i++)
            this.workers.push(this.worker());
    }
    /** Enqueue store paths (their closures follow). Returns at once; the work is asynchronous. */
    add(paths) {
        if (this.closed)
            throw new Error('the pusher was already told that no more paths will come');
        const fresh = paths.filter(p => !this.state.has(p));
        if (fresh.length === 0)
            return;
        // While the closure is read, whatever an upload needs gets ready.
        prepareUploads(this.options.upload.compression);
        this.roots.push(...fresh);
        void this.resolve();
    }
    totals() {
        return {
            considered: this.state.size,
            ...this.counts,
            failed: this.failures.length,
            pending: this.queue.length + this.active.size + this.roots.length + this.parked.size + this.completions.size
        };
    }
    /** No more paths. Waits for the work to finish, or until `timeoutMs`, and reports. */
    async drain(timeoutMs) {
        this.closed = true;
        this.notify();
        const finished = this.idle();
        if (timeoutMs === undefined)
            await finished;
        else {
            let timer;
            const timedOut = await Promise.race([
                finished.then(() => false),
                new Promise(resolve => {
                    timer = setTimeout(() => resolve(true), timeoutMs);
                })
            ]);
            clearTimeout(timer);
            if (timedOut)
                this.controller.abort(new Error('the drain deadline passed'));
        }
        const leftovers = [
            ...new Set([
                ...this.inResolution,
                ...this.roots,
                ...this.active,
                ...this.queue.map(q => q.info.path),
                ...this.parked.keys()
            ])
        ];
        this.queue.length = 0;
        this.roots.length = 0;
        this.notify();
        await Promise.allSettled(this.workers);
        await Promise.allSettled([...this.completions]);
        // Staged NARs that never got their references: nothing of them may be published.
        await Promise.allSettled([...this.parked.values()].map(p => discardStaged(this.options.client, p.staged)));
        this.parked.clear();
        // No more uploads from this pusher: its long-lived zstd programs end now, not when they idle out.
        await retireIdleLanes();
        return {
            ...this.totals(),
            pending: leftovers.length,
            leftovers,
            failures: [...this.failures],
            fatal: this.fatal,
            durationMs: Date.now() - this.started
        };
    }
    async idle() {
        while (this.roots.length > 0 ||
            this.resolving ||
            this.queue.length > 0 ||
            this.active.size > 0 ||
            this.parked.size > 0 ||
            this.completions.size > 0) {
            await this.wakeSignal;
        }
    }
    resetWake() {
        this.wakeSignal = new Promise(resolve => {
            this.wake = resolve;
        });
    }
    notify() {
        const wake = this.wake;
        this.resetWake();
        wake();
    }
    emit(event) {
        this.options.onEvent?.(event);
    }
    async resolve() {
        if (this.resolving)
            return;
        this.resolving = true;
        try {
            while (this.roots.length > 0 && !this.controller.signal.aborted) {
                await this.gatherRoots();
                if (this.controller.signal.aborted)
                    break;
                this.lastBatchAt = performance.now();
                const batch = this.roots.splice(0, this.roots.length);
                this.inResolution = batch;
                try {
                    await this.resolveBatch(batch);
                }
                catch (error) {
                    // Cut off by the drain deadline: these are leftovers, not failures.
                    if (this.controller.signal.aborted)
                        break;
                    const message = errors_errorMessage(error);
                    if (error instanceof CachixError && error.fatal)
                        this.fatal ??= message;
                    for (const path of batch)
                        if (!this.state.has(path))
                            this.fail(path, message, 0);
                }
                this.inResolution = [];
                this.notify();
            }
        }
        finally {
            this.resolving = false;
            this.notify();
        }
    }
    /**
     * While paths keep coming (a build finishing a derivation every fraction of a second), a
     * batch starts at most every BATCH_INTERVAL_MS, so the roots that arrive meanwhile share one
     * closure query (a Nix program start, CPU taken from the builders) instead of one each. Once
     * drain says no more paths will come, nothing waits.
     */
    async gatherRoots() {
        for (;;) {
            const left = this.lastBatchAt + BATCH_INTERVAL_MS - performance.now();
            if (left <= 0 || this.closed || this.controller.signal.aborted)
                return;
            let timer;
            await Promise.race([
                new Promise(resolve => {
                    timer = setTimeout(resolve, left);
                }),
                this.wakeSignal
            ]);
            clearTimeout(timer);
        }
    }
    async resolveBatch(batch) {
        const { store, client, filter } = this.options;
        if (this.fatal)
            throw new Error(this.fatal);
        const roots = [...new Set(batch.filter(p => !this.state.has(p)))];
        // One program start for the closure and its metadata when every root is valid (the usual
        // case: outputs the build just made); path by path otherwise.
        const closureInfos = await store.closureInfos(roots);
        const rootInfos = closureInfos === undefined ? await store.pathInfos(roots) : new Map(closureInfos.map(info => [info.path, info]));
        const validRoots = [];
        for (const path of roots) {
            if (rootInfos.has(path))
                validRoots.push(path);
            else
                this.skipInvalid(path, 'not a valid store path');
        }
        // Dependencies come before dependents here, so the queue mostly publishes in order.
        const closure = closureInfos === undefined ? await store.closure(validRoots) : closureInfos.map(info => info.path);
        const fresh = closure.filter(p => !this.state.has(p));
        const candidates = [];
        for (const path of fresh) {
            const reason = filter.excluded(path);
            if (reason === undefined)
                candidates.push(path);
            else {
                this.state.set(path, 'filtered');
                this.why.set(path, `is excluded from pushing (${reason})`);
                this.counts.skippedFiltered++;
                this.emit({ kind: 'skipped', path, reason: 'filtered', detail: reason });
            }
        }
        if (candidates.length === 0)
            return;
        const infos = await store.pathInfos(candidates.filter(p => !rootInfos.has(p)));
        for (const [path, info] of rootInfos)
            infos.set(path, info);
        const missing = await client.missingHashes(candidates.map(hashPart), this.controller.signal);
        let queuedNarBytes = 0;
        for (const path of candidates) {
            const info = infos.get(path);
            if (!info)
                this.skipInvalid(path, 'disappeared from the store');
            else if (missing.has(hashPart(path))) {
                queuedNarBytes += info.narSize;
                this.state.set(path, 'queued');
                this.queue.push({ info, attempts: 0, startedAt: Date.now() });
                this.emit({ kind: 'queued', path, narSize: info.narSize });
            }
            else {
                this.state.set(path, 'present');
                this.counts.skippedPresent++;
                this.emit({ kind: 'skipped', path, reason: 'present' });
            }
        }
        // Before the workers wake (they wake once this batch is resolved): the hash threads start with the batch.
        prepareUploads(this.options.upload.compression, queuedNarBytes);
    }
    skipInvalid(path, detail) {
        this.state.set(path, 'invalid');
        this.why.set(path, detail === 'not a valid store path' ? 'is not a valid store path' : detail);
        this.counts.invalid++;
        this.emit({ kind: 'skipped', path, reason: 'invalid', detail });
    }
    async worker() {
        for (;;) {
            const next = this.queue.shift();
            if (!next) {
                if (this.closed && !this.resolving && this.roots.length === 0)
                    return;
                if (this.controller.signal.aborted)
                    return;
                await this.wakeSignal;
                continue;
            }
            const path = next.info.path;
            const blocker = this.blockingReference(next.info);
            if (blocker !== undefined) {
                this.fail(path, this.blockedMessage(blocker), next.attempts, blocker);
                continue;
            }
            this.active.add(path);
            this.state.set(path, 'uploading');
            try {
                const staged = await this.stageWithRetries(next);
                if (staged)
                    this.park(next, staged);
            }
            finally {
                this.active.delete(path);
                this.notify();
            }
        }
    }
    /** A reference of `info` that will never be in the cache, if there is one. */
    blockingReference(info) {
        return info.references.find(ref => ref !== info.path && NEVER_IN_CACHE.has(this.state.get(ref) ?? 'failed'));
    }
    /** Why a path cannot be published: the path at the bottom of the chain, not every link of it. */
    blockedMessage(reference) {
        const cause = this.cause.get(reference) ?? reference;
        return `not published: its closure needs ${cause}, which ${this.why.get(cause) ?? 'was never examined'} (a cache entry without it would be an incomplete closure)`;
    }
    /** Stages the NAR (create, parts), retrying the whole path. Undefined when it failed for good or was cut off. */
    async stageWithRetries(queued) {
        const { client, store, upload, pathRetries, pathRetryDelayMs } = this.options;
        const { info } = queued;
        const signal = this.controller.signal;
        let source = this.options.narSource ?? (narFromNixStore() ? NarSource.NixStore : NarSource.InProcess);
        for (;;) {
            queued.attempts++;
            try {
                if (this.fatal)
                    throw new Error(this.fatal);
                return await stageStorePath(info, { ...upload, client, store, budget: this.budget }, signal, source);
            }
            catch (error) {
                if (signal.aborted)
                    return undefined;
                if (error instanceof NarMismatchError && error.source === NarSource.InProcess) {
                    // Let Nix's own serialiser decide whether the store or this one is wrong.
                    source = NarSource.NixStore;
                    queued.attempts--;
                    continue;
                }
                if (!(await this.retryOrFail(queued, error, pathRetries, pathRetryDelayMs)))
                    return undefined;
            }
        }
    }
    /** After a failed attempt: true to try again (after the delay), false once the path has failed for good. */
    async retryOrFail(queued, error, pathRetries, pathRetryDelayMs) {
        const { path } = queued.info;
        const message = errors_errorMessage(error);
        const final = error instanceof NarMismatchError || (error instanceof CachixError && error.fatal) || this.fatal !== undefined;
        if (error instanceof CachixError &&
            error.fatal &&
            (error.status === 401 || error.status === 403 || error.status === 404))
            this.fatal ??= message;
        if (final || queued.attempts > pathRetries) {
            this.fail(path, message, queued.attempts);
            return false;
        }
        this.emit({ kind: 'retrying', path, attempt: queued.attempts, error: message });
        try {
            await sleep(pathRetryDelayMs, this.controller.signal);
            return true;
        }
        catch {
            return false;
        }
    }
    park(queued, staged) {
        const { info } = queued;
        const blocker = this.blockingReference(info);
        if (blocker !== undefined) {
            void discardStaged(this.options.client, staged);
            this.fail(info.path, this.blockedMessage(blocker), queued.attempts, blocker);
            return;
        }
        const awaiting = new Set(info.references.filter(ref => ref !== info.path && !IN_CACHE.has(this.state.get(ref) ?? 'failed')));
        if (awaiting.size === 0) {
            this.complete(queued, staged);
            return;
        }
        this.state.set(info.path, 'parked');
        this.parked.set(info.path, { queued, staged, awaiting });
        for (const ref of awaiting) {
            let waiting = this.dependents.get(ref);
            if (!waiting)
                this.dependents.set(ref, (waiting = new Set()));
            waiting.add(info.path);
        }
        this.emit({ kind: 'waiting', path: info.path, references: [...awaiting] });
    }
    complete(queued, staged) {
        const { info } = queued;
        this.state.set(info.path, 'completing');
        const completion = (async () => {
            try {
                const result = await completeStaged(this.options.client, staged, this.controller.signal);
                this.state.set(info.path, 'done');
                this.counts.uploaded++;
                this.counts.uploadedNarBytes += result.narSize;
                this.counts.uploadedFileBytes += result.fileSize;
                this.emit({
                    kind: 'uploaded',
                    path: info.path,
                    narSize: result.narSize,
                    fileSize: result.fileSize,
                    ms: Date.now() - queued.startedAt,
                    attempts: queued.attempts
                });
                this.release(info.path);
            }
            catch (error) {
                if (this.controller.signal.aborted)
                    return;
                // The staged NAR is gone with the failed completion: the whole path goes again.
                if (await this.retryOrFail(queued, error, this.options.pathRetries, this.options.pathRetryDelayMs)) {
                    this.state.set(info.path, 'queued');
                    this.queue.unshift(queued);
                }
            }
        })();
        this.completions.add(completion);
        void completion.finally(() => {
            this.completions.delete(completion);
            this.notify();
        });
    }
    /** `path` is in the cache now: its dependents waiting for nothing else are published. */
    release(path) {
        for (const parked of this.takeDependents(path)) {
            parked.awaiting.delete(path);
            if (parked.awaiting.size === 0) {
                this.parked.delete(parked.queued.info.path);
                this.complete(parked.queued, parked.staged);
            }
        }
    }
    /** `path` will never be in the cache, and so neither will anything waiting for it. */
    fail(path, error, attempts, blockedBy) {
        this.state.set(path, 'failed');
        if (blockedBy === undefined)
            this.why.set(path, `failed (${error})`);
        else
            this.cause.set(path, this.cause.get(blockedBy) ?? blockedBy);
        this.failures.push({ path, error });
        this.emit({ kind: 'failed', path, error, attempts });
        for (const parked of this.takeDependents(path)) {
            this.parked.delete(parked.queued.info.path);
            void discardStaged(this.options.client, parked.staged);
            this.fail(parked.queued.info.path, this.blockedMessage(path), parked.queued.attempts, path);
        }
        this.notify();
    }
    /** The parked paths that were waiting for `path`, which no longer wait for it. */
    takeDependents(path) {
        const waiting = this.dependents.get(path);
        this.dependents.delete(path);
        return [...(waiting ?? [])].flatMap(dependent => this.parked.get(dependent) ?? []);
    }
}

;// CONCATENATED MODULE: ./src/push/create.ts



// Cachix's defaults: 8 paths at once, level 2, 3 whole-path retries 5 s apart. Parts are 8 MiB
// rather than Cachix's 32, and part buffers are capped at 32 MiB in total across all uploads (a
// part filling, one being hashed, two on the wire: at 16 MiB the compressors waited for part
// memory, measured), so a push of any size stays under 160 MiB of memory (npm run bench
// measures it).
const PUSH_DEFAULTS = {
    jobs: 8,
    compressionLevel: 2,
    partSize: DEFAULT_PART_SIZE,
    bufferBytes: 32 * 1024 * 1024,
    partConcurrency: 4,
    pathRetries: 3,
    pathRetryDelayMs: 5000
};
function createPusher(session, store, tuning = {}) {
    return new Pusher({
        client: session.client,
        store,
        filter: makePushFilter(tuning.exclude),
        upload: {
            compression: session.compression,
            compressionLevel: tuning.compressionLevel ?? PUSH_DEFAULTS.compressionLevel,
            partSize: tuning.partSize ?? PUSH_DEFAULTS.partSize,
            partConcurrency: PUSH_DEFAULTS.partConcurrency,
            signingKey: session.signingKey
        },
        jobs: tuning.jobs ?? PUSH_DEFAULTS.jobs,
        bufferBytes: tuning.bufferBytes ?? PUSH_DEFAULTS.bufferBytes,
        pathRetries: tuning.pathRetries ?? PUSH_DEFAULTS.pathRetries,
        pathRetryDelayMs: tuning.pathRetryDelayMs ?? PUSH_DEFAULTS.pathRetryDelayMs,
        onEvent: event => {
            if (event.kind === 'uploaded')
                tuning.onUploaded?.(event.path, event.fileSize);
            if (event.kind === 'failed')
                tuning.log?.warning(`push of ${event.path} failed: ${event.error}`);
            tuning.onEvent?.(event);
        }
    });
}

;// CONCATENATED MODULE: ./src/cachix/session.ts


/** The token is good, but only for reading: the cache can be pulled from, not pushed to. */
class ReadOnlyTokenError extends Error {
    cache;
    client;
    constructor(cache, client) {
        super(`the auth token may only read Cachix cache "${cache.name}": create a token with write access, or pass no token to only pull`);
        this.cache = cache;
        this.client = client;
    }
}
/**
 * Checks the credentials against the cache before anything is built or uploaded, so a bad
 * token, an unknown cache or a malformed key fail at once with one clear message.
 */
async function openCachixSession(options, contact = {}) {
    const signingKey = options.signingKey === undefined || options.signingKey.trim() === ''
        ? undefined
        : parseSigningKey(options.signingKey);
    const client = new CachixClient(options);
    const cache = await client.getCache(contact.signal, contact.retryPolicy);
    const hasToken = (options.authToken ?? '') !== '';
    if (hasToken && cache.permission === 'Read' && !signingKey)
        throw new ReadOnlyTokenError(cache, client);
    const compression = options.compression ?? (cache.preferredCompressionMethod === 'XZ' ? 'xz' : 'zstd');
    return { client, cache, signingKey, compression, canPush: hasToken || signingKey !== undefined };
}

;// CONCATENATED MODULE: external "node:util"
const external_node_util_namespaceObject = __WEBPACK_EXTERNAL_createRequire(import.meta.url)("node:util");
;// CONCATENATED MODULE: ./src/cachix/names.ts
/** Cachix cache names: lowercase letters, digits and dashes, not starting with a dash. */
function names_isValidCacheName(name) {
    return /^[a-z0-9][a-z0-9-]{0,62}$/.test(name);
}

;// CONCATENATED MODULE: ./src/inputs/checks.ts




/** The Nix the action and the planner install when the runner has none. */
const DEFAULT_NIX_VERSION = '2.35.1';
/** A bad input of any front end: which one, and what is wrong with it (never its value when it is a secret). */
class InputError extends Error {
    input;
    problem;
    constructor(input, problem) {
        super(`input ${input}: ${problem}`);
        this.input = input;
        this.problem = problem;
    }
}
function fail(input, problem) {
    throw new InputError(input, problem);
}
/**
 * `parse()`, a thrown `problems` (any error by default) becoming the input's error: the value is
 * bad, and the message says why.
 */
function inputValue(input, parse, problems = Error) {
    try {
        return parse();
    }
    catch (error) {
        if (error instanceof problems)
            fail(input, error.message);
        throw error;
    }
}
const ATTRIBUTE_PATH = /^[A-Za-z_][A-Za-z0-9_'-]*(\.[A-Za-z_][A-Za-z0-9_'-]*|\."[^"]+")*$/;
/** Items separated by blanks, commas or line breaks. */
function list(text) {
    return text
        .split(/[\s,]+/)
        .map(s => s.trim())
        .filter(s => s !== '');
}
/**
 * The one control-character rule of every input: a C0 control character or DEL, except those of
 * `allow` (the tab and line breaks a list or several lines of text may hold). By code point rather
 * than a regular expression with control characters in it.
 */
function hasControl(text, allow = '') {
    return [...text].some(c => (c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f) && !allow.includes(c));
}
function bool(input, text, fallback) {
    const value = text.trim().toLowerCase();
    if (value === '')
        return fallback;
    if (value === 'true')
        return true;
    if (value === 'false')
        return false;
    return fail(input, `"${text}" is not true or false`);
}
function positiveInt(input, text, allowZero = false) {
    const value = text.trim();
    if (value === '')
        return undefined;
    if (!/^\d+$/.test(value) || (!allowZero && Number(value) === 0))
        return fail(input, `"${text}" is not a ${allowZero ? 'non-negative' : 'positive'} whole number`);
    return Number(value);
}
function flakeRef(input, text) {
    const flake = text.trim() || '.';
    if (/\s/.test(flake))
        fail(input, `"${flake}" contains spaces: give one flake reference such as "." or "github:owner/repo"`);
    return flake;
}
/** Hosts as written: `name` or `kind:name` (see parseHostReference). */
function hostNames(input, text) {
    const hosts = list(text);
    for (const host of hosts)
        inputValue(input, () => parseHostReference(host));
    return hosts;
}
function attributePaths(input, text) {
    const attributes = list(text);
    for (const attribute of attributes)
        if (!ATTRIBUTE_PATH.test(attribute))
            fail(input, `"${attribute}" is not an attribute path such as nixosConfigurations.host.pkgs.hello`);
    return attributes;
}
function cacheName(input, text) {
    const name = text.trim() || undefined;
    if (name !== undefined && !names_isValidCacheName(name))
        fail(input, `"${name}" is not a Cachix cache name (lowercase letters, digits and dashes)`);
    return name;
}
function cacheNames(input, text) {
    const names = list(text);
    for (const name of names)
        if (!isValidCacheName(name))
            fail(input, `"${name}" is not a Cachix cache name`);
    return names;
}
function cachixUrl(input, text) {
    const url = text.trim() || DEFAULT_CACHIX_URL;
    if (!/^https?:\/\/[^\s/]+/.test(url))
        fail(input, `"${url}" is not an http(s) URL`);
    return url;
}
function nixVersion(input, text) {
    const version = text.trim() || DEFAULT_NIX_VERSION;
    if (!/^\d+\.\d+(\.\d+)?$/.test(version))
        fail(input, `"${version}" is not a Nix release such as ${DEFAULT_NIX_VERSION}`);
    return version;
}
function checks_pushFilter(input, text) {
    const source = text.trim();
    if (source === '')
        return undefined;
    try {
        return new RegExp(source);
    }
    catch (error) {
        return fail(input, `"${source}" is not a valid regular expression (${errors_errorMessage(error)})`);
    }
}
function checks_compression(input, text) {
    const method = text.trim().toLowerCase();
    if (method === 'zstd' || method === 'xz')
        return method;
    if (method !== '')
        fail(input, `"${method}" is not zstd or xz`);
    return undefined;
}
/**
 * The workflow author's own nix.conf lines: each "name = value" or an include; `forbidden` names
 * settings the action owns.
 */
function extraNixConfig(input, text, forbidden = []) {
    for (const line of text.split('\n')) {
        const trimmed = line.trim();
        if (trimmed === '' || trimmed.startsWith('#'))
            continue;
        if (hasControl(trimmed, '\t'))
            fail(input, 'contains a control character: type it as plain text');
        const match = /^([A-Za-z0-9-]+)\s*=/.exec(trimmed);
        if (!match && !/^!?include\s+\S/.test(trimmed))
            fail(input, `line "${trimmed}" is not "name = value"`);
        if (match && forbidden.includes(match[1]))
            fail(input, `sets ${match[1]}, which this action owns (it chains to a hook already in nix.conf)`);
    }
    return text;
}

;// CONCATENATED MODULE: ./src/diff/base-input.ts

// Revisions as git accepts them on a command line, without anything a shell or git would read as an option.
const REVISION = /^[A-Za-z0-9_][A-Za-z0-9_./~^@{}-]*$/;
/** Reads `diff-base` (and the CLI's --base); throws a message saying what is wrong. */
function parseDiffBase(text) {
    const value = text.trim();
    if (value === '' || value.toLowerCase() === 'false')
        return { kind: 'off' };
    if (value.toLowerCase() === 'auto')
        return { kind: 'auto' };
    if (value.startsWith('{')) {
        let parsed;
        try {
            parsed = JSON.parse(value);
        }
        catch {
            throw new Error("is not valid JSON: give auto, false, a git revision, or a JSON object of host → toplevel (the planner's toplevels output)");
        }
        if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
            throw new Error('must be a JSON object of host → toplevel store path');
        const toplevels = {};
        for (const [host, path] of Object.entries(parsed)) {
            if (typeof path !== 'string' || !isStorePath(path))
                throw new Error(`host ${host}: "${String(path)}" is not a store path such as /nix/store/<hash>-nixos-system-${host}`);
            toplevels[host] = path;
        }
        return { kind: 'toplevels', toplevels };
    }
    if (!isRevision(value))
        throw new Error(`"${value}" is not auto, false, a git revision or a JSON object of host → toplevel`);
    return { kind: 'revision', revision: value };
}
function isStorePath(path) {
    try {
        parseStorePath(path);
        return true;
    }
    catch {
        return false;
    }
}
/** A git revision as a command line may name it, and nothing git could read as an option or a range. */
function isRevision(text) {
    return text.length <= 256 && REVISION.test(text) && !text.includes('..');
}

;// CONCATENATED MODULE: ./src/cli/args.ts







const USAGE = `Usage:
  nix-cachix-build push  --cache NAME [options] PATH...     push store paths (and their closures); paths on stdin when none are given
  nix-cachix-build build --cache NAME [--host H]... [INSTALLABLE...] [options]
                                                           build hosts or installables and push everything new while building
  nix-cachix-build check --cache NAME HOST [options]         would switching to HOST compile anything? exit 0 when it only downloads
  nix-cachix-build diff  --cache NAME HOST [--base REV] [--json]
                                                           what switching to HOST changes (packages, sizes, download) against
                                                           HOST at REV, or against the running system without --base

Options:
  --flake REF          flake holding the hosts (default .)
  --cachix-url URL     Cachix API (default https://cachix.org)
  --jobs N             paths uploaded at once (default 8)
  --push-filter REGEX  do not push paths matching REGEX
  --compression zstd|xz
  --base REV           diff: compare with HOST at this git revision of the flake
  --json               diff: print the diff as JSON
  -h, --help

HOST is a name of nixosConfigurations, darwinConfigurations or homeConfigurations; nixos:NAME,
darwin:NAME or home:NAME says which when several have it.

Credentials: CACHIX_AUTH_TOKEN and CACHIX_SIGNING_KEY, else ~/.config/cachix/cachix.dhall (as written by cachix authtoken).`;
function hostReference(text) {
    try {
        configurations_parseHostReference(text);
    }
    catch (error) {
        throw new Error(`host ${errors_errorMessage(error)}`, { cause: error });
    }
}
/** Parses the command line; a usage error is one line that says what to fix. */
function parseCommand(argv) {
    const { values, positionals } = (0,external_node_util_namespaceObject.parseArgs)({
        args: argv,
        allowPositionals: true,
        options: {
            cache: { type: 'string' },
            flake: { type: 'string', default: '.' },
            'cachix-url': { type: 'string', default: process.env.CACHIX_URL ?? client_DEFAULT_CACHIX_URL },
            jobs: { type: 'string', default: String(PUSH_DEFAULTS.jobs) },
            'push-filter': { type: 'string' },
            compression: { type: 'string' },
            host: { type: 'string', multiple: true, default: [] },
            base: { type: 'string' },
            json: { type: 'boolean', default: false },
            help: { type: 'boolean', short: 'h', default: false }
        }
    });
    const [verb, ...rest] = positionals;
    if (values.help || verb === undefined || verb === 'help')
        return { kind: 'help' };
    if (!['push', 'build', 'check', 'diff'].includes(verb))
        throw new Error(`unknown command "${verb}": use push, build, check or diff (see --help)`);
    const cache = values.cache ?? '';
    if (cache === '')
        throw new Error(`${verb} needs --cache NAME`);
    const option = (flag, parse) => {
        try {
            return parse();
        }
        catch (error) {
            if (error instanceof InputError)
                throw new Error(`--${flag} ${error.problem}`, { cause: error });
            throw error;
        }
    };
    option('cache', () => cacheName('cache', cache));
    const jobs = option('jobs', () => positiveInt('jobs', values.jobs)) ?? PUSH_DEFAULTS.jobs;
    const pushFilter = option('push-filter', () => values['push-filter'] === undefined ? undefined : checks_pushFilter('push-filter', values['push-filter']));
    const compression = option('compression', () => checks_compression('compression', values.compression ?? ''));
    const common = {
        cache,
        flake: values.flake,
        cachixUrl: values['cachix-url'],
        jobs,
        pushFilter,
        compression
    };
    if (verb === 'push')
        return { kind: 'push', common, paths: rest };
    if (verb === 'build') {
        if (values.host.length === 0 && rest.length === 0)
            throw new Error('build needs --host NAME or an installable');
        for (const host of values.host)
            hostReference(host);
        return { kind: 'build', common, hosts: values.host, installables: rest };
    }
    if (rest.length !== 1)
        throw new Error(`${verb} takes exactly one host name`);
    hostReference(rest[0]);
    if (verb === 'diff') {
        if (values.base !== undefined && !isRevision(values.base))
            throw new Error(`--base "${values.base}" is not a git revision such as main or a commit hash`);
        return { kind: 'diff', common, host: rest[0], base: values.base, json: values.json };
    }
    return { kind: 'check', common, host: rest[0] };
}

;// CONCATENATED MODULE: ./src/nix/format/show-derivation.ts

/**
 * Output paths per derivation from `nix show-derivation` JSON. Keys and paths are full paths
 * up to Nix 2.31 and basenames from 2.32; both are read.
 */
function derivationOutputsFromJson(json) {
    const result = new Map();
    const object = (json ?? {});
    // 2.32+ may wrap the derivations: {"derivations": {...}, "version": …}
    const derivations = 'derivations' in object && typeof object.derivations === 'object'
        ? object.derivations
        : object;
    for (const [key, drv] of Object.entries(derivations)) {
        const outputs = Object.values(drv.outputs ?? {})
            .map(o => o.path)
            .filter((p) => typeof p === 'string' && p !== '')
            .map(fullPath);
        result.set(fullPath(key), outputs);
    }
    return result;
}

;// CONCATENATED MODULE: ./src/cli/explain.ts

/** The most likely reason each derivation would be built on this machine. */
function explainBuilds(builds, facts) {
    const upstream = facts.upstream ?? new Map();
    const whereUpstream = (paths) => {
        const found = [...new Set(paths.map(p => upstream.get(p)).filter((url) => url !== undefined))];
        return found.length > 0 ? found.join(' and ') : `the cache's upstream (${DEFAULT_SUBSTITUTER} for cachix.org)`;
    };
    return builds.map(build => {
        const unknown = facts.unknownPaths ?? [];
        if (build.drvPath === facts.toplevelDrv && unknown.length > 0) {
            const lost = unknown.filter(p => !upstream.has(p));
            if (lost.length === 0)
                return {
                    drvPath: build.drvPath,
                    reason: `${plural(unknown.length, 'path')} of its closure ${unknown.length === 1 ? 'is' : 'are'} only upstream of ${facts.cache}, in ${whereUpstream(unknown)}, which this machine does not substitute from, so Nix builds it instead of downloading it`
                };
            return {
                drvPath: build.drvPath,
                reason: `its closure in ${facts.cache} is incomplete (${lost.length} missing), so Nix builds it instead of downloading it`
            };
        }
        const filtered = build.outputs.map(facts.filtered).find(r => r !== undefined);
        if (filtered)
            return { drvPath: build.drvPath, reason: `never pushed: ${filtered}` };
        const upstreamOutputs = build.outputs.filter(o => upstream.has(o));
        if (upstreamOutputs.length > 0) {
            const where = whereUpstream(upstreamOutputs);
            return {
                drvPath: build.drvPath,
                reason: `only upstream of ${facts.cache}, in ${where} (Cachix never stores what its upstream has), and this machine does not substitute from there: add ${upstreamOutputs.some(o => upstream.get(o) !== undefined) ? 'that substituter' : DEFAULT_SUBSTITUTER} and its public key to nix.settings`
            };
        }
        const missing = build.outputs.some(o => facts.missingFromCache.has(o));
        if (!facts.toplevelInCache) {
            if (facts.dirtyTree)
                return {
                    drvPath: build.drvPath,
                    reason: 'your flake has uncommitted changes, so this configuration differs from anything CI built'
                };
            return {
                drvPath: build.drvPath,
                reason: `the ${facts.closureName ?? 'toplevel'} is not in ${facts.cache} yet: CI has not finished (or not pushed) this revision, or your checkout differs from what CI built`
            };
        }
        if (missing)
            return {
                drvPath: build.drvPath,
                reason: `not in ${facts.cache} although the ${facts.closureName ?? 'toplevel'} is: a push failed or was cut off (re-run the workflow, or push it from the desktop)`
            };
        return {
            drvPath: build.drvPath,
            reason: `in ${facts.cache}, but this machine does not use it: add the cache's substituter and public key to nix.settings`
        };
    });
}
function plural(count, word) {
    return `${count} ${word}${count === 1 ? '' : 's'}`;
}
/**
 * Of a host's imports, each walked against the cache, those whose closure is not whole there, and
 * why that makes a machine compile: no closure holds an import, yet evaluating the host needs it.
 */
function explainImports(walks, facts) {
    const remedy = `re-run the workflow (its leg pushes what the host's evaluation imports) or run \`nix-cachix-build build --host ${facts.host}\` on the desktop`;
    const missing = [];
    for (const [path, walk] of walks) {
        if (walk.complete)
            continue;
        const lost = walk.firstMissing;
        const what = lost === undefined || lost.path === path
            ? `not in ${facts.cache}`
            : `in ${facts.cache} but its closure is not: ${lost.path} (needed by ${lost.neededBy}) is missing`;
        missing.push({
            path,
            reason: `${what}: evaluating the host reads it (import from derivation), so a machine without it builds it just to evaluate; ${remedy}`
        });
    }
    return missing;
}

;// CONCATENATED MODULE: ./src/cachix/closure-walk.ts


/** Narinfo lookups in flight at once. */
const CLOSURE_WALK_CONCURRENCY = 32;
function factsOf(info) {
    return { narSize: info.narSize, references: info.references.map(fullPath), fileSize: info.fileSize };
}
async function walk(cache, roots, plan) {
    const walked = {
        seen: new Set(),
        facts: new Map(),
        missing: [],
        upstream: 0,
        unknownUpstream: [],
        lookups: 0
    };
    const visit = (path, neededBy, lookup, add) => {
        if (walked.seen.has(path) || plan.skip?.has(path))
            return;
        walked.seen.add(path);
        add({ path, neededBy, lookup });
    };
    let round = [];
    for (const root of roots)
        visit(root, root, 'cache', item => round.push(item));
    while (round.length > 0) {
        const notInCache = [];
        await runQueue(round, plan.concurrency, async (item, add) => {
            const follow = (facts, next) => {
                if (plan.facts)
                    walked.facts.set(item.path, facts);
                for (const reference of facts.references)
                    visit(reference, item.path, next, add);
            };
            const known = plan.known?.get(item.path);
            if (known !== undefined)
                return follow(known, 'cache');
            const hash = hashPart(item.path);
            if (item.lookup !== 'cache') {
                const info = await plan.substituters?.narinfo(hash, plan.signal);
                // Hydra pushes closures: what an upstream path references is upstream too.
                if (info !== undefined)
                    return follow(factsOf(info), 'substituters-first');
                if (item.lookup === 'substituters-only') {
                    walked.unknownUpstream.push(item.path);
                    return;
                }
            }
            walked.lookups++;
            const info = await cache.narinfo(hash, plan.signal);
            if (info !== undefined)
                return follow(factsOf(info), 'cache');
            notInCache.push(item);
        }, plan.signal);
        plan.signal?.throwIfAborted();
        round = [];
        if (notInCache.length === 0)
            break;
        const absent = await cache.missingHashes(notInCache.map(item => hashPart(item.path)), plan.signal);
        for (const item of notInCache) {
            if (absent.has(hashPart(item.path)))
                walked.missing.push(item);
            else {
                walked.upstream++;
                // A presence walk stops here: the whole closure of an upstream path is upstream.
                if (plan.facts)
                    round.push({ ...item, lookup: 'substituters-only' });
            }
        }
    }
    return walked;
}
/**
 * Whether the whole closure of `roots` is present, without the paths being in the local store:
 * a host counts as cached only when its whole closure is there, because caches lose paths to
 * garbage collection and a toplevel alone proves nothing.
 */
async function walkClosure(cache, roots, options = {}) {
    const verified = options.verified ?? new Set();
    const walked = await walk(cache, roots, {
        facts: false,
        skip: verified,
        concurrency: Math.max(1, options.concurrency ?? CLOSURE_WALK_CONCURRENCY),
        signal: options.signal
    });
    const first = walked.missing[0];
    if (first === undefined)
        for (const path of walked.seen)
            verified.add(path);
    return {
        complete: first === undefined,
        checked: walked.lookups,
        upstream: walked.upstream,
        firstMissing: first === undefined ? undefined : { path: first.path, neededBy: first.neededBy }
    };
}
/** One walk per root, sharing what earlier walks verified (hosts share most of their closures). */
async function walkEach(cache, roots, options = {}) {
    const verified = options.verified ?? new Set();
    const walks = new Map();
    for (const root of new Set(roots))
        walks.set(root, await walkClosure(cache, [root], { ...options, verified }));
    return walks;
}
/** The walks of each target's output and imports, in the targets' order; one walk per distinct root. */
async function walkTargets(cache, targets) {
    const walks = await walkEach(cache, targets.flatMap(t => [t.outPath, ...(t.imports ?? [])]));
    return targets.map(t => ({
        walk: walks.get(t.outPath),
        imports: (t.imports ?? []).map(path => [path, walks.get(path)])
    }));
}
/** What a log line says about one root's walk. */
function describeWalk(root, walk) {
    if (walk.complete) {
        const upstream = walk.upstream === 0
            ? ''
            : ` (${walk.upstream} path${walk.upstream === 1 ? '' : 's'} of it counted present upstream)`;
        return `${root} and its whole closure are in the cache${upstream}`;
    }
    const missing = walk.firstMissing;
    if (missing === undefined || missing.path === root)
        return `${root} is not in the cache`;
    return `${root} is in the cache but its closure is not: ${missing.path} (needed by ${missing.neededBy}) is missing`;
}
function rootFirst(root) {
    return (a, b) => (a === root ? -1 : b === root ? 1 : a < b ? -1 : a > b ? 1 : 0);
}
/**
 * The References, NarSize and FileSize of every path in the closure of `root`: from the cache's
 * narinfos, and for upstream paths from the substituters'. Nothing but narinfos is downloaded.
 */
async function closureFacts(cache, root, options = {}) {
    const walked = await walk(cache, [root], {
        facts: true,
        substituters: options.substituters,
        known: options.known,
        concurrency: Math.max(1, options.concurrency ?? CLOSURE_WALK_CONCURRENCY),
        signal: options.signal
    });
    return {
        facts: walked.facts,
        missing: walked.missing.map(m => m.path).sort(rootFirst(root)),
        unknownUpstream: walked.unknownUpstream.sort(rootFirst(root))
    };
}
/**
 * The FileSize of each path where a machine would download it: from `known`, else the cache's
 * narinfo, else the first substituter's that has it (undefined: nobody has it, or no FileSize).
 */
async function downloadSizes(cache, substituters, paths, known, concurrency = CLOSURE_WALK_CONCURRENCY) {
    const sizes = new Map();
    const ask = [];
    for (const path of paths) {
        const size = known.get(path)?.fileSize;
        if (size !== undefined)
            sizes.set(path, size);
        else
            ask.push(path);
    }
    await runQueue(ask, Math.max(1, concurrency), async (path) => {
        const hash = hashPart(path);
        const info = (await cache.narinfo(hash)) ?? (await substituters?.narinfo(hash));
        sizes.set(path, info?.fileSize);
    });
    return sizes;
}
/** One lookup per store hash for the whole run: hosts share most of their closures. */
class SharedNarInfos {
    source;
    seen = new Map();
    lookups = 0;
    constructor(source) {
        this.source = source;
    }
    narinfo(hash, signal) {
        let found = this.seen.get(hash);
        if (found === undefined) {
            this.lookups++;
            found = this.source.narinfo(hash, signal);
            // A failed lookup is not remembered, so a later host asks again.
            found.catch(() => this.seen.delete(hash));
            this.seen.set(hash, found);
        }
        return found;
    }
}
/** SharedNarInfos for a cache, whose bulk query is asked about each hash once too. */
class SharedCacheLookups extends SharedNarInfos {
    cache;
    /** hash → missing from the cache (not even upstream) */
    answers = new Map();
    bulkQueries = 0;
    constructor(cache) {
        super(cache);
        this.cache = cache;
    }
    async missingHashes(hashes, signal) {
        const ask = [...new Set(hashes.filter(hash => !this.answers.has(hash)))];
        if (ask.length > 0) {
            this.bulkQueries++;
            const missing = await this.cache.missingHashes(ask, signal);
            for (const hash of ask)
                this.answers.set(hash, missing.has(hash));
        }
        return new Set(hashes.filter(hash => this.answers.get(hash) === true));
    }
}

;// CONCATENATED MODULE: ./src/cli/check.ts












const FRESH_NARINFO = ['--option', 'narinfo-cache-positive-ttl', '0', '--option', 'narinfo-cache-negative-ttl', '0'];
/**
 * What switching to `host` would do on this machine, with its own substituters: one
 * evaluation, one dry run, one batched query of the cache for the reasons; and, when its
 * evaluation imports anything (the evaluation's log tells), the imports' closures walked in the cache.
 */
async function checkHost(flake, host, client, filter) {
    const resolved = resolveHost(host, await configurationNames(flake, process.env));
    const [details] = await hostDetails(flake, [{ ...resolved, id: host }], process.env);
    const { drvPath: drv, outPath: out } = details;
    const imported = {
        missingImports: details.imports.length === 0
            ? []
            : explainImports(await walkEach(client, details.imports), { cache: client.cacheName, host }),
        importsUnknown: details.importsUnknown
    };
    const dry = await process_runCommand('nix-store', ['--realise', '--dry-run', drv, ...FRESH_NARINFO]);
    const plan = parseDryRun(dry.stderr);
    if (plan.toBuild.length === 0 && plan.unknown.length === 0)
        return { toplevel: out, toFetch: plan.toFetch, builds: [], ...imported };
    // Through the store (not by reading the .drv files), so a --store or chroot store works too.
    // A path the cached closure references but no cache has is "unknown" to the dry run; on a
    // real switch Nix builds it (and the toplevel, whose closure is incomplete), so find its
    // derivation among the toplevel's.
    const drvs = plan.unknown.length === 0
        ? plan.toBuild
        : (await process_runCommand('nix-store', ['--query', '--requisites', drv])).stdout
            .split('\n')
            .filter(l => l.endsWith('.drv'));
    const shown = await command_runNix(['show-derivation', ...drvs]);
    const outputsOf = derivationOutputsFromJson(JSON.parse(shown.stdout));
    const producing = (path) => [...outputsOf].find(([, outputs]) => outputs.includes(path))?.[0];
    const pending = new Set(plan.toBuild);
    for (const path of plan.unknown)
        pending.add(producing(path) ?? path);
    if (plan.unknown.length > 0)
        pending.add(drv);
    const builds = [...pending].map(drvPath => ({
        drvPath,
        outputs: outputsOf.get(drvPath) ?? (drvPath.endsWith('.drv') ? [] : [drvPath])
    }));
    const outputs = builds.flatMap(b => b.outputs);
    const missingHashes = await client.missingHashes([hashPart(out), ...outputs.map(hashPart)]);
    const upstream = await upstreamOutputs(client, outputs.filter(o => !missingHashes.has(hashPart(o))), details.substituters);
    const dirty = await process_runCommand('git', ['-C', flake, 'status', '--porcelain'], { okCodes: [128] })
        .then(r => r.code === 0 && r.stdout.trim() !== '')
        .catch(() => false);
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
    };
}
/**
 * Of the outputs the cache counts as present, those it does not hold (GET narinfo 404): present
 * upstream, as Cachix counts what cache.nixos.org has. Each with the first of the host's
 * substituters (or cache.nixos.org) found to have it, to name in the advice.
 */
async function upstreamOutputs(client, present, hostSubstituters) {
    const held = await mapLimit(present, 16, async (path) => (await client.narinfo(hashPart(path))) !== undefined);
    const upstream = present.filter((_, i) => !held[i]);
    const where = new SubstituterNarInfos(narinfoSubstituters([...hostSubstituters, DEFAULT_SUBSTITUTER]).map(url => ({ url })));
    const found = await mapLimit(upstream, 16, async (path) => (await where.find(hashPart(path)))?.url);
    return new Map(upstream.map((path, i) => [path, found[i]]));
}

;// CONCATENATED MODULE: ./src/diff/base-revision.ts






/** The git checkout a flake reference points into, or undefined when it is not a local checkout. */
async function localGitFlake(flake, env = process.env) {
    const local = flake.startsWith('path:') || flake.startsWith('git+file:')
        ? flake.replace(/^(path|git\+file):(\/\/)?/, '').replace(/\?.*$/, '')
        : flake;
    if (/^[a-z+]+:/.test(local))
        return undefined;
    const path = (0,external_node_path_namespaceObject.isAbsolute)(local) ? local : (0,external_node_path_namespaceObject.resolve)(local);
    const found = await process_runCommand('git', ['-C', path, 'rev-parse', '--show-toplevel', '--show-prefix', '--is-shallow-repository'], { env, okCodes: [128] });
    if (found.code !== 0)
        return undefined;
    const [top, prefix, shallow] = found.stdout.split('\n');
    return { top, dir: prefix.replace(/\/$/, ''), shallow: shallow === 'true' };
}
async function hasCommit(git, revision, env) {
    const found = await process_runCommand('git', ['-C', git.top, 'rev-parse', '--verify', '--quiet', `${revision}^{commit}`], {
        env,
        okCodes: [1, 128]
    });
    return found.code === 0 ? found.stdout.trim() : undefined;
}
/** The commit `revision` names, fetched from origin (just that commit) when the checkout lacks it. */
async function resolveCommit(git, revision, env = process.env) {
    const here = await hasCommit(git, revision, env);
    if (here !== undefined)
        return here;
    try {
        await process_runCommand('git', ['-C', git.top, 'fetch', '--no-tags', '--quiet', '--depth=1', 'origin', revision], { env });
    }
    catch (error) {
        throw new Error(`the checkout does not have ${revision} and fetching it from origin failed (${errors_errorMessage(error)}): check out with fetch-depth: 0, or give diff-base a planner's toplevels output`, { cause: error });
    }
    const fetched = (await hasCommit(git, revision, env)) ?? (await hasCommit(git, 'FETCH_HEAD', env));
    if (fetched === undefined)
        throw new Error(`${revision} is not a commit of ${git.top}`);
    return fetched;
}
/** The merge base from the local history; undefined when the history is too shallow to tell. */
async function localMergeBase(git, base, head, env = process.env) {
    const found = await runCommand('git', ['-C', git.top, 'merge-base', base, head], { env, okCodes: [1, 128] });
    return found.code === 0 ? found.stdout.trim() : undefined;
}
/** The flake at one commit, evaluated as Nix evaluates a clean checkout of it. */
function flakeAtCommit(git, commit) {
    const query = [`rev=${commit}`];
    // Nix 2.20 and later refuse a shallow repository unless told.
    if (git.shallow)
        query.push('shallow=1');
    if (git.dir !== '')
        query.push(`dir=${encodeURIComponent(git.dir)}`);
    return `git+file://${git.top}?${query.join('&')}`;
}
/**
 * Each host's toplevel (of whichever kind it is) at `flakeRef`, evaluating only those hosts, keyed
 * as given; hosts it lacks, or names ambiguously there, are left out (a new host has no base).
 */
async function toplevelsAt(flakeRef, hosts, env = process.env) {
    if (hosts.length === 0)
        return {};
    const names = await configurationNames(flakeRef, env);
    const found = hosts
        .map(reference => ({ reference, host: findHost(reference, names) }))
        .filter((f) => f.host !== undefined);
    const toplevels = {};
    for (const [kind, group] of byKind(found.map(f => ({ ...f.host, reference: f.reference })))) {
        const apply = outPathsExpression(kind, group.map(h => h.attribute));
        const { stdout } = await command_runNix(['eval', '--json', `${flakeRef}#${kindSpec(kind).output}`, '--apply', apply], {
            env
        });
        const raw = JSON.parse(stdout);
        for (const host of group)
            if (raw[host.attribute] !== undefined)
                toplevels[host.reference] = raw[host.attribute].out;
    }
    return toplevels;
}

;// CONCATENATED MODULE: ./src/diff/names.ts
// Output names cannot be told apart from version suffixes like "unstable"; Nix accepts that
// ambiguity (diff-closures.cc), and grouping the same way keeps our report comparable with it.
const OUTPUT_SUFFIX = /^(.*)-([a-z]+|lib32|lib64)$/;
/**
 * Splits a store path's name the way `nix store diff-closures` does: strip a trailing output
 * name, then cut at the first dash that is followed by anything but an ASCII letter
 * (`builtins.parseDrvName`).
 */
function parsePackageName(storeName) {
    let rest = storeName;
    let output = '';
    const suffix = OUTPUT_SUFFIX.exec(storeName);
    if (suffix) {
        rest = suffix[1];
        output = suffix[2];
    }
    for (let i = 0; i + 1 < rest.length; i++) {
        if (rest[i] === '-' && !/[A-Za-z]/.test(rest[i + 1]))
            return { name: rest.slice(0, i), version: rest.slice(i + 1), output };
    }
    return { name: rest, version: '', output };
}
/** The name part of a store path (after the hash and its dash). */
function storePathName(path) {
    const base = path.slice(path.lastIndexOf('/') + 1);
    return base.slice(33);
}

;// CONCATENATED MODULE: ./src/diff/compare.ts

function group(paths, skip) {
    const grouped = new Map();
    for (const path of paths) {
        if (skip.has(path))
            continue;
        const { name, version } = parsePackageName(storePathName(path));
        let versions = grouped.get(name);
        if (versions === undefined)
            grouped.set(name, (versions = new Map()));
        let members = versions.get(version);
        if (members === undefined)
            versions.set(version, (members = new Set()));
        members.add(path);
    }
    return grouped;
}
// Byte order, as std::set and std::map order names and versions in Nix.
const byteOrder = (a, b) => (a < b ? -1 : a > b ? 1 : 0);
function sameMembers(a, b) {
    if (a.size !== b.size)
        return false;
    for (const path of a)
        if (!b.has(path))
            return false;
    return true;
}
function sizeOf(versions, sizes) {
    let sum = 0;
    for (const paths of versions?.values() ?? [])
        for (const path of paths)
            sum += sizes.get(path) ?? 0;
    return sum;
}
function total(sizes) {
    let sum = 0;
    for (const size of sizes.values())
        sum += size;
    return sum;
}
/**
 * Packages added, removed, changed in version and rebuilt between two closures, their sizes,
 * and what switching downloads. The two toplevels themselves are left out of the package
 * lists: they always differ, and the report names them.
 * `fileSizes` holds the FileSize of head paths where they are downloaded from (undefined: nobody has them).
 */
function compareClosures(base, head, fileSizes) {
    const roots = new Set([base.root, head.root]);
    const before = group(base.narSizes.keys(), roots);
    const after = group(head.narSizes.keys(), roots);
    const diff = {
        changed: [],
        added: [],
        removed: [],
        rebuilt: [],
        before: { paths: base.narSizes.size, narSize: total(base.narSizes) },
        after: { paths: head.narSizes.size, narSize: total(head.narSizes) },
        download: { paths: 0, fileSize: 0, sizeUnknown: [] }
    };
    const names = [...new Set([...before.keys(), ...after.keys()])].sort(byteOrder);
    for (const name of names) {
        const was = before.get(name);
        const is = after.get(name);
        const sizeDelta = sizeOf(is, head.narSizes) - sizeOf(was, base.narSizes);
        const gone = [...(was?.keys() ?? [])].filter(v => !is?.has(v)).sort(byteOrder);
        const came = [...(is?.keys() ?? [])].filter(v => !was?.has(v)).sort(byteOrder);
        const change = { name, before: gone, after: came, sizeDelta };
        if (was === undefined)
            diff.added.push(change);
        else if (is === undefined)
            diff.removed.push(change);
        else if (gone.length > 0 || came.length > 0)
            diff.changed.push(change);
        else {
            const rebuilt = [...was.keys()]
                .filter(v => !sameMembers(was.get(v) ?? new Set(), is.get(v) ?? new Set()))
                .sort(byteOrder);
            if (rebuilt.length > 0)
                diff.rebuilt.push({ name, before: rebuilt, after: rebuilt, sizeDelta });
        }
    }
    for (const path of head.narSizes.keys()) {
        if (base.narSizes.has(path))
            continue;
        diff.download.paths++;
        const size = fileSizes.get(path);
        if (size === undefined)
            diff.download.sizeUnknown.push(path);
        else
            diff.download.fileSize += size;
    }
    diff.download.sizeUnknown.sort(byteOrder);
    return diff;
}

;// CONCATENATED MODULE: ./src/diff/local-closure.ts
/** The closure of `root` from the local store (no FileSize there), or undefined when the store lacks it. */
async function localClosure(store, root) {
    if (!(await store.isValid(root)))
        return undefined;
    const paths = await store.closure([root]);
    const infos = await store.pathInfos(paths);
    const facts = new Map();
    for (const path of paths) {
        const info = infos.get(path);
        if (info === undefined)
            throw new Error(`nix path-info knows nothing of ${path}, which is in the closure of ${root}`);
        facts.set(path, { narSize: info.narSize, references: info.references });
    }
    return facts;
}

;// CONCATENATED MODULE: ./src/diff/host-diff.ts




function narSizes(facts) {
    return new Map([...facts].map(([path, f]) => [path, f.narSize]));
}
/** Upstream paths no substituter describes leave the closure unknown: said so, nothing guessed. */
function requireUpstreamFacts(walk, sources) {
    const [first] = walk.unknownUpstream;
    if (first === undefined)
        return;
    const others = walk.unknownUpstream.length - 1;
    throw new Error(`the cache counts ${first}${others > 0 ? ` and ${others} more` : ''} as present upstream, but no substituter asked has its narinfo (${sources.substituters?.describe?.() ?? 'no substituter'}): substitute from the cache that holds it (cache.nixos.org is the upstream of cachix.org)`);
}
async function compare(host, base, head, sources) {
    const options = { substituters: sources.substituters, concurrency: sources.concurrency ?? CLOSURE_WALK_CONCURRENCY };
    let headFacts = await localClosure(sources.store, head);
    if (headFacts === undefined) {
        const walk = await closureFacts(sources.cache, head, options);
        if (walk.missing.length > 0)
            return { host, outcome: 'head-unavailable', base, head };
        requireUpstreamFacts(walk, sources);
        headFacts = walk.facts;
    }
    let baseFacts = sources.baseFromLocalStore ? await localClosure(sources.store, base) : undefined;
    if (baseFacts === undefined) {
        const walk = await closureFacts(sources.cache, base, { ...options, known: headFacts });
        if (walk.missing[0] === base)
            return { host, outcome: 'base-not-in-cache', base, head };
        if (walk.missing.length > 0)
            return { host, outcome: 'base-incomplete', base, head, missing: walk.missing };
        requireUpstreamFacts(walk, sources);
        baseFacts = walk.facts;
    }
    const lacking = [...headFacts.keys()].filter(path => !baseFacts.has(path));
    const fileSizes = await downloadSizes(sources.cache, sources.substituters, lacking, headFacts, options.concurrency);
    const diff = compareClosures({ root: base, narSizes: narSizes(baseFacts) }, { root: head, narSizes: narSizes(headFacts) }, fileSizes);
    return { host, outcome: 'compared', base, head, diff };
}
/** One host's closure diff; a failure is this host's outcome, not the run's. */
async function diffHost(host, base, head, sources) {
    if (base === undefined)
        return { host, outcome: 'new-host', head };
    try {
        return await compare(host, base, head, sources);
    }
    catch (error) {
        return { host, outcome: 'failed', base, head, message: errors_errorMessage(error) };
    }
}

;// CONCATENATED MODULE: ./src/cli/diff.ts





const CURRENT_SYSTEM = '/run/current-system';
async function baseToplevel(options) {
    if (options.base === undefined) {
        const running = await (0,promises_namespaceObject.realpath)(CURRENT_SYSTEM).catch(() => undefined);
        if (running === undefined)
            throw new Error(`no --base given and ${CURRENT_SYSTEM} does not exist here: give --base REV (e.g. --base origin/main)`);
        return running;
    }
    const git = await localGitFlake(options.flake);
    if (git === undefined)
        throw new Error(`--base needs a flake in a local git checkout, and ${options.flake} is not one`);
    const commit = await resolveCommit(git, options.base);
    return (await toplevelsAt(flakeAtCommit(git, commit), [options.host]))[options.host];
}
/** What switching `host` from the base to the flake as it is here changes, and what it downloads. */
async function cliDiff(options) {
    // Strictly here, so an ambiguous or missing name says so (the base may lack the host; that is no error).
    resolveHost(options.host, await configurationNames(options.flake, process.env));
    const head = (await toplevelsAt(options.flake, [options.host]))[options.host];
    if (head === undefined)
        throw new Error(`${options.flake} has no host ${options.host}`);
    const base = await baseToplevel(options);
    // The base may be the running system, which only this machine's store knows.
    return diffHost(options.host, base, head, {
        cache: options.cache,
        substituters: options.substituters,
        store: options.store,
        baseFromLocalStore: true
    });
}

;// CONCATENATED MODULE: ./src/diff/render.ts

const DEFAULT_MAX_ROWS = 60;
function signedBytes(delta) {
    if (delta === 0)
        return '±0 B';
    return `${delta > 0 ? '+' : '-'}${format_formatBytes(Math.abs(delta))}`;
}
/** diff-closures' notation: ∅ for no version at all, ε for an empty version. */
function showVersions(versions) {
    if (versions.length === 0)
        return '∅';
    return versions.map(v => (v === '' ? 'ε' : v)).join(', ');
}
function render_plural(count, word) {
    return `${count} ${word}${count === 1 ? '' : 's'}`;
}
function packageCounts(diff) {
    const parts = [
        [diff.changed.length, 'changed'],
        [diff.added.length, 'added'],
        [diff.removed.length, 'removed'],
        [diff.rebuilt.length, 'rebuilt']
    ];
    const shown = parts.filter(([count]) => count > 0).map(([count, word]) => `${count} ${word}`);
    return shown.length === 0 ? 'no package changes' : shown.join(', ');
}
function downloadText(diff) {
    const { paths, fileSize, sizeUnknown } = diff.download;
    if (paths === 0)
        return 'nothing';
    const unknown = sizeUnknown.length === 0
        ? ''
        : ` (${render_plural(sizeUnknown.length, 'path')} in neither the cache nor its substituters: built, size unknown)`;
    return `${render_plural(paths, 'path')}, ${format_formatBytes(fileSize)}${unknown}`;
}
/** Why a host has no diff, in one sentence; undefined when it has one. */
function outcomeText(host, cache) {
    switch (host.outcome) {
        case 'compared':
            return undefined;
        case 'base-not-in-cache':
            return `the base toplevel ${host.base} is not in the cache ${cache}, so there is nothing to compare with (was the base commit built and pushed?)`;
        case 'base-incomplete':
            return `the base toplevel ${host.base} is in ${cache}, but ${render_plural(host.missing.length, 'path')} of its closure are not (first: ${host.missing[0]}), so its closure is unknown`;
        case 'new-host':
            return 'a new host: it does not exist at the base';
        case 'head-unavailable':
            return `the head toplevel ${host.head} is neither in the local store nor in ${cache}`;
        case 'failed':
            return `no diff: ${host.message}`;
    }
}
function rows(diff) {
    return [
        ...diff.changed.map(change => ({ kind: 'changed', change })),
        ...diff.added.map(change => ({ kind: 'added', change })),
        ...diff.removed.map(change => ({ kind: 'removed', change })),
        ...diff.rebuilt.map(change => ({ kind: 'rebuilt', change }))
    ];
}
function cell(text) {
    return text.replace(/\|/g, '\\|');
}
/** One host's part of the summary and of the PR comment. */
function renderHostMarkdown(host, options) {
    const lines = [`### ${host.host}`, ''];
    if (host.outcome !== 'compared') {
        lines.push(outcomeText(host, options.cache) ?? '', '');
        return lines.join('\n');
    }
    const { diff } = host;
    lines.push(`\`${host.base}\` → \`${host.head}\``, '', '| | base | head | change |', '|---|---:|---:|---:|', `| closure | ${formatBytes(diff.before.narSize)} (${render_plural(diff.before.paths, 'path')}) | ${formatBytes(diff.after.narSize)} (${render_plural(diff.after.paths, 'path')}) | ${signedBytes(diff.after.narSize - diff.before.narSize)} |`, `| download to switch | | | ${cell(downloadText(diff))} |`, '');
    const all = rows(diff);
    if (all.length === 0) {
        lines.push(host.base === host.head ? 'Same toplevel: nothing changes.' : 'No package changes.', '');
        return lines.join('\n');
    }
    const max = options.maxRows ?? DEFAULT_MAX_ROWS;
    lines.push(`${packageCounts(diff)}:`, '', '| package | change | base | head | size |', '|---|---|---|---|---:|');
    for (const { kind, change } of all.slice(0, max)) {
        lines.push(`| ${cell(change.name)} | ${kind} | ${cell(showVersions(change.before))} | ${cell(showVersions(change.after))} | ${signedBytes(change.sizeDelta)} |`);
    }
    if (all.length > max)
        lines.push('', `…and ${all.length - max} more (the action's \`diff\` output lists them all).`);
    lines.push('');
    return lines.join('\n');
}
function renderSummaryMarkdown(hosts, options) {
    const lines = [`## Closure diff against ${options.base}`, ''];
    if (hosts.length === 0)
        lines.push('No hosts to compare.', '');
    for (const host of hosts)
        lines.push(renderHostMarkdown(host, options));
    return lines.join('\n');
}
/** What the CLI prints: diff-closures' lines, then the totals. */
function renderHostText(host, cache) {
    if (host.outcome !== 'compared')
        return `${host.host}: ${outcomeText(host, cache)}\n`;
    const { diff } = host;
    const lines = [`${host.host}: ${host.base} → ${host.head}`];
    for (const { kind, change } of rows(diff)) {
        const versions = kind === 'rebuilt'
            ? `rebuilt (${showVersions(change.before)})`
            : `${showVersions(change.before)} → ${showVersions(change.after)}`;
        lines.push(`  ${change.name}: ${versions}, ${signedBytes(change.sizeDelta)}`);
    }
    if (rows(diff).length === 0)
        lines.push('  no package changes');
    lines.push(`  closure: ${diff.before.paths} → ${diff.after.paths} paths, ${format_formatBytes(diff.before.narSize)} → ${format_formatBytes(diff.after.narSize)} (${signedBytes(diff.after.narSize - diff.before.narSize)})`, `  download to switch: ${downloadText(diff)}`);
    return `${lines.join('\n')}\n`;
}
/** The `diff` output: host → its diff, everything included. */
function diffJson(hosts) {
    return JSON.stringify(Object.fromEntries(hosts.map(({ host, ...rest }) => [host, rest])));
}

;// CONCATENATED MODULE: ./src/cli/credentials.ts



/**
 * Reads the parts of cachix.dhall this tool needs: `authToken = "…"` and the `secretKey` of the
 * `binaryCaches` entry named `cache` (the last one wins, as in cachix).
 */
function parseCachixDhall(text, cache) {
    const token = /authToken\s*=\s*"([^"]*)"/.exec(text)?.[1];
    let signingKey;
    for (const match of text.matchAll(/\{([^{}]*)\}/g)) {
        const name = /name\s*=\s*"([^"]*)"/.exec(match[1])?.[1];
        const secret = /secretKey\s*=\s*"([^"]*)"/.exec(match[1])?.[1];
        if (name === cache && secret)
            signingKey = secret;
    }
    return { authToken: token === '' ? undefined : token, signingKey };
}
function cachixConfigPath(env = process.env) {
    return (0,external_node_path_namespaceObject.join)(env.XDG_CONFIG_HOME ?? (0,external_node_path_namespaceObject.join)((0,external_node_os_namespaceObject.homedir)(), '.config'), 'cachix', 'cachix.dhall');
}
/** The environment first (CI, secrets managers), then the file `cachix authtoken` writes. */
async function findCredentials(cache, env = process.env) {
    const fromEnv = { authToken: env.CACHIX_AUTH_TOKEN || undefined, signingKey: env.CACHIX_SIGNING_KEY || undefined };
    if (fromEnv.authToken || fromEnv.signingKey)
        return { ...fromEnv, source: 'environment' };
    const path = cachixConfigPath(env);
    const text = await (0,promises_namespaceObject.readFile)(path, 'utf8').catch(() => undefined);
    if (text === undefined)
        return { source: 'none' };
    return { ...parseCachixDhall(text, cache), source: path };
}

;// CONCATENATED MODULE: ./src/cli/progress.ts

/** A live status line on a terminal; one plain line per finished path otherwise (logs, CI). */
class Progress {
    out;
    totals;
    last = 0;
    constructor(out, totals) {
        this.out = out;
        this.totals = totals;
    }
    get live() {
        return this.out.isTTY === true;
    }
    event(event, built = 0) {
        if (this.live) {
            const now = Date.now();
            if (now - this.last < 100 && event.kind !== 'failed')
                return;
            this.last = now;
            const t = this.totals();
            this.out.write(`\r\x1b[K${built > 0 ? `built ${built} · ` : ''}pushed ${t.uploaded} (${format_formatBytes(t.uploadedFileBytes)}) · in cache ${t.skippedPresent} · waiting ${t.pending}${t.failed > 0 ? ` · failed ${t.failed}` : ''}`);
            if (event.kind === 'failed')
                this.out.write(`\n${event.path}: ${event.error}\n`);
            return;
        }
        if (event.kind === 'uploaded')
            this.out.write(`pushed ${event.path} (${format_formatBytes(event.fileSize)}, ${event.ms} ms)\n`);
        else if (event.kind === 'failed')
            this.out.write(`FAILED ${event.path}: ${event.error}\n`);
    }
    line(text) {
        this.out.write(`${this.live ? '\r\x1b[K' : ''}${text}\n`);
    }
    done() {
        if (this.live)
            this.out.write('\r\x1b[K');
    }
}

;// CONCATENATED MODULE: ./src/cli/main.ts
























/** The desktop's and the laptop's entry: push, build-and-push, check, diff. Returns the exit code. */
async function main(argv) {
    try {
        const command = parseCommand(argv);
        switch (command.kind) {
            case 'help':
                process.stdout.write(`${USAGE}\n`);
                return 0;
            case 'push':
                return await push(command.common, command.paths.length > 0 ? command.paths : await pathsFromStdin());
            case 'build':
                return await build(command.common, await namedHosts(command.common.flake, command.hosts), command.installables);
            case 'check':
                return await check(command.common, command.host);
            case 'diff':
                return await diff(command.common, command.host, command.base, command.json);
        }
    }
    catch (error) {
        process.stderr.write(`nix-cachix-build: ${errors_errorMessage(error)}\n`);
        return 2;
    }
}
/** The named hosts, of whichever kind each is (names listed, nothing evaluated, when there are none). */
async function namedHosts(flake, hosts) {
    if (hosts.length === 0)
        return [];
    return resolveHosts(hosts, await configurationNames(flake, process.env));
}
async function pathsFromStdin() {
    if (process.stdin.isTTY)
        throw new Error('push needs store paths as arguments or on stdin');
    let text = '';
    for await (const chunk of process.stdin)
        text += String(chunk);
    return text.split(/\s+/).filter(p => p !== '');
}
/** A session that may push: the credentials from the environment or cachix.dhall, checked against the cache. */
async function pushSession(options) {
    const credentials = await findCredentials(options.cache);
    const opened = await openCachixSession({
        baseUrl: options.cachixUrl,
        cacheName: options.cache,
        authToken: credentials.authToken,
        signingKey: credentials.signingKey,
        compression: options.compression
    });
    if (!opened.canPush)
        throw new Error(`no Cachix credentials to push to ${options.cache}: set CACHIX_AUTH_TOKEN (or CACHIX_SIGNING_KEY), or run cachix authtoken`);
    return opened;
}
/** A client that reads the cache, with the token when there is one (a private cache needs it). */
async function readingClient(options) {
    const credentials = await findCredentials(options.cache);
    return new CachixClient({ baseUrl: options.cachixUrl, cacheName: options.cache, authToken: credentials.authToken });
}
function pusherWithProgress(options, opened, store, built) {
    // The progress line reads the pusher's totals, and the pusher reports its events to it.
    const holder = {};
    const pusher = createPusher(opened, store, {
        jobs: options.jobs,
        exclude: options.pushFilter,
        onEvent: event => holder.progress?.event(event, built())
    });
    const progress = new Progress(process.stderr, () => pusher.totals());
    holder.progress = progress;
    return { pusher, progress };
}
function summarise(progress, report, cache) {
    progress.done();
    progress.line(`${cache}: pushed ${report.uploaded} paths (${format_formatBytes(report.uploadedFileBytes)} compressed, ${format_formatBytes(report.uploadedNarBytes)} NAR), ${report.skippedPresent} already there, ${report.skippedFiltered} filtered, ${report.failed} failed in ${(report.durationMs / 1000).toFixed(1)} s`);
    for (const failure of report.failures)
        progress.line(`  failed: ${failure.path}: ${failure.error}`);
    return report.failed > 0 || report.fatal ? 1 : 0;
}
async function push(options, paths) {
    if (paths.length === 0)
        throw new Error('no store paths to push');
    const store = new NixStore();
    const opened = await pushSession(options);
    const { pusher, progress } = pusherWithProgress(options, opened, store, () => 0);
    // ./result symlinks and the like resolve to the store path they point at; store paths are
    // taken as they are (an invalid one is reported by the pusher, not thrown here).
    const resolved = await Promise.all(paths.map(async (p) => ((0,external_node_path_namespaceObject.isAbsolute)(p) && p.startsWith(`${STORE_DIR}/`) ? p : (0,promises_namespaceObject.realpath)(p).catch(() => p))));
    pusher.add(resolved);
    return summarise(progress, await pusher.drain(), options.cache);
}
/**
 * Builds the hosts and installables while pushing; then pushes their closures, and what each host's
 * evaluation imports (valid already or built now), which no closure holds and a laptop needs to evaluate it.
 */
async function build(options, hosts, others) {
    const installables = [...hosts.map(h => installable(options.flake, h)), ...others];
    const store = new NixStore();
    const opened = await pushSession(options);
    const work = await (0,promises_namespaceObject.mkdtemp)((0,external_node_path_namespaceObject.join)((0,external_node_os_namespaceObject.tmpdir)(), 'nix-cachix-build-'));
    try {
        const { spool: spoolFile, hook } = workFiles(work);
        await (0,promises_namespaceObject.writeFile)(spoolFile, '');
        await (0,promises_namespaceObject.writeFile)(hook, renderHookScript(spoolFile), { mode: 0o755 });
        let built = 0;
        const { pusher, progress } = pusherWithProgress(options, opened, store, () => built);
        // --option post-build-hook takes effect for root and trusted users; for others the closure
        // push after the build still uploads everything, just not while building.
        const outcome = await buildAndPush({
            installables,
            keepGoing: true,
            extraArgs: ['--option', 'post-build-hook', hook],
            spoolFile,
            env: process.env,
            pusher,
            heartbeatMs: 60_000,
            log: { info: line => progress.line(line), warning: line => progress.line(`warning: ${line}`) },
            onBuilt: count => {
                built = count;
            }
        });
        const roots = await hostRoots(options.flake, hosts, progress);
        for (const installable of others) {
            const out = await command_runNix(['path-info', installable], { okCodes: [1] });
            roots.push(...out.stdout.split('\n').filter(l => l.startsWith('/nix/store/')));
        }
        pusher.add([...(await store.validPaths(roots))]);
        const code = summarise(progress, await pusher.drain(), options.cache);
        progress.line(`built ${outcome.builtDrvs.length} derivations; nix build exited ${outcome.exitCode}`);
        return outcome.exitCode !== 0 ? outcome.exitCode : code;
    }
    finally {
        await (0,promises_namespaceObject.rm)(work, { recursive: true, force: true });
    }
}
/** The hosts evaluated once more, as a leg evaluates them: their outputs, and what their evaluation imports. */
async function hostRoots(flake, hosts, progress) {
    try {
        const roots = [];
        for (const host of await hostDetails(flake, hosts, process.env)) {
            roots.push(host.outPath, ...host.imports);
            if (host.imports.length > 0)
                progress.line(`${host.id}: its evaluation imports ${host.imports.join(', ')}; pushing them too`);
            if (host.importsUnknown !== undefined)
                progress.line(`warning: ${host.id}: not every import could be listed: ${host.importsUnknown}`);
        }
        return roots;
    }
    catch (error) {
        // nix build said why already; what it built was pushed while building.
        progress.line(`warning: the hosts do not evaluate: ${errors_errorMessage(error).split('\n')[0]}`);
        return [];
    }
}
async function check(options, host) {
    const result = await checkHost(options.flake, host, await readingClient(options), makePushFilter(options.pushFilter));
    if (result.importsUnknown !== undefined)
        process.stderr.write(`warning: ${host}: not every import could be listed: ${result.importsUnknown}\n`);
    const imports = result.missingImports;
    if (imports.length > 0) {
        process.stdout.write(`${host}: evaluating it would first build ${imports.length} import${imports.length === 1 ? '' : 's'} (import from derivation) missing from ${options.cache}:\n`);
        for (const i of imports)
            process.stdout.write(`  ${i.path}\n      ${i.reason}\n`);
    }
    if (result.builds.length === 0) {
        process.stdout.write(`${host}: switching downloads ${result.toFetch.length} paths and builds nothing${imports.length === 0 ? '' : ' more'}.\n`);
        return imports.length === 0 ? 0 : 1;
    }
    process.stdout.write(`${host}: switching would build ${result.builds.length} derivation${result.builds.length === 1 ? '' : 's'} (and download ${result.toFetch.length} paths):\n`);
    for (const b of result.builds)
        process.stdout.write(`  ${b.drvPath}\n      ${b.reason}\n`);
    return 1;
}
/** Exit 0 with the diff; 1 when there is nothing to compare (e.g. the base is not in the cache). */
async function diff(options, host, base, json) {
    const client = await readingClient(options);
    // The cache itself lacks what it counts as present upstream: asked as the cache, not as a substituter.
    const cacheUri = await client.getCache().then(cache => cache.uri, () => undefined);
    const substituters = await configuredSubstituterNarInfos({
        env: process.env,
        exclude: cacheUri === undefined ? [] : [cacheUri],
        log: {
            info: line => process.stderr.write(`${line}\n`),
            warning: line => process.stderr.write(`warning: ${line}\n`)
        }
    });
    const result = await cliDiff({ flake: options.flake, host, base, cache: client, substituters, store: new NixStore() });
    process.stdout.write(json ? `${diffJson([result])}\n` : renderHostText(result, options.cache));
    return result.outcome === 'compared' ? 0 : 1;
}


/***/ })

/******/ });
/************************************************************************/
/******/ // The module cache
/******/ var __webpack_module_cache__ = {};
/******/ 
/******/ // The require function
/******/ function __nccwpck_require__(moduleId) {
/******/ 	// Check if module is in cache
/******/ 	var cachedModule = __webpack_module_cache__[moduleId];
/******/ 	if (cachedModule !== undefined) {
/******/ 		return cachedModule.exports;
/******/ 	}
/******/ 	// Create a new module (and put it into the cache)
/******/ 	var module = __webpack_module_cache__[moduleId] = {
/******/ 		// no module.id needed
/******/ 		// no module.loaded needed
/******/ 		exports: {}
/******/ 	};
/******/ 
/******/ 	// Execute the module function
/******/ 	var threw = true;
/******/ 	try {
/******/ 		__webpack_modules__[moduleId](module, module.exports, __nccwpck_require__);
/******/ 		threw = false;
/******/ 	} finally {
/******/ 		if(threw) delete __webpack_module_cache__[moduleId];
/******/ 	}
/******/ 
/******/ 	// Return the exports of the module
/******/ 	return module.exports;
/******/ }
/******/ 
/************************************************************************/
/******/ /* webpack/runtime/asset-relocator-loader */
/******/ if (typeof __nccwpck_require__ !== 'undefined') __nccwpck_require__.ab = decodeURIComponent(new URL('.', import.meta.url).pathname).slice(import.meta.url.match(/^file:\/\/\/\w:/) ? 1 : 0, -1) + "/";
/******/ 
/******/ /* webpack/runtime/async module */
/******/ (() => {
/******/ 	var webpackQueues = typeof Symbol === "function" ? Symbol("webpack queues") : "__webpack_queues__";
/******/ 	var webpackExports = typeof Symbol === "function" ? Symbol("webpack exports") : "__webpack_exports__";
/******/ 	var webpackError = typeof Symbol === "function" ? Symbol("webpack error") : "__webpack_error__";
/******/ 	var resolveQueue = (queue) => {
/******/ 		if(queue && queue.d < 1) {
/******/ 			queue.d = 1;
/******/ 			queue.forEach((fn) => (fn.r--));
/******/ 			queue.forEach((fn) => (fn.r-- ? fn.r++ : fn()));
/******/ 		}
/******/ 	}
/******/ 	var wrapDeps = (deps) => (deps.map((dep) => {
/******/ 		if(dep !== null && typeof dep === "object") {
/******/ 			if(dep[webpackQueues]) return dep;
/******/ 			if(dep.then) {
/******/ 				var queue = [];
/******/ 				queue.d = 0;
/******/ 				dep.then((r) => {
/******/ 					obj[webpackExports] = r;
/******/ 					resolveQueue(queue);
/******/ 				}, (e) => {
/******/ 					obj[webpackError] = e;
/******/ 					resolveQueue(queue);
/******/ 				});
/******/ 				var obj = {};
/******/ 				obj[webpackQueues] = (fn) => (fn(queue));
/******/ 				return obj;
/******/ 			}
/******/ 		}
/******/ 		var ret = {};
/******/ 		ret[webpackQueues] = x => {};
/******/ 		ret[webpackExports] = dep;
/******/ 		return ret;
/******/ 	}));
/******/ 	__nccwpck_require__.a = (module, body, hasAwait) => {
/******/ 		var queue;
/******/ 		hasAwait && ((queue = []).d = -1);
/******/ 		var depQueues = new Set();
/******/ 		var exports = module.exports;
/******/ 		var currentDeps;
/******/ 		var outerResolve;
/******/ 		var reject;
/******/ 		var promise = new Promise((resolve, rej) => {
/******/ 			reject = rej;
/******/ 			outerResolve = resolve;
/******/ 		});
/******/ 		promise[webpackExports] = exports;
/******/ 		promise[webpackQueues] = (fn) => (queue && fn(queue), depQueues.forEach(fn), promise["catch"](x => {}));
/******/ 		module.exports = promise;
/******/ 		body((deps) => {
/******/ 			currentDeps = wrapDeps(deps);
/******/ 			var fn;
/******/ 			var getResult = () => (currentDeps.map((d) => {
/******/ 				if(d[webpackError]) throw d[webpackError];
/******/ 				return d[webpackExports];
/******/ 			}))
/******/ 			var promise = new Promise((resolve) => {
/******/ 				fn = () => (resolve(getResult));
/******/ 				fn.r = 0;
/******/ 				var fnQueue = (q) => (q !== queue && !depQueues.has(q) && (depQueues.add(q), q && !q.d && (fn.r++, q.push(fn))));
/******/ 				currentDeps.map((dep) => (dep[webpackQueues](fnQueue)));
/******/ 			});
/******/ 			return fn.r ? promise : getResult();
/******/ 		}, (err) => ((err ? reject(promise[webpackError] = err) : outerResolve(exports)), resolveQueue(queue)));
/******/ 		queue && queue.d < 0 && (queue.d = 0);
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/define property getters */
/******/ (() => {
/******/ 	// define getter functions for harmony exports
/******/ 	__nccwpck_require__.d = (exports, definition) => {
/******/ 		for(var key in definition) {
/******/ 			if(__nccwpck_require__.o(definition, key) && !__nccwpck_require__.o(exports, key)) {
/******/ 				Object.defineProperty(exports, key, { enumerable: true, get: definition[key] });
/******/ 			}
/******/ 		}
/******/ 	};
/******/ })();
/******/ 
/******/ /* webpack/runtime/hasOwnProperty shorthand */
/******/ (() => {
/******/ 	__nccwpck_require__.o = (obj, prop) => (Object.prototype.hasOwnProperty.call(obj, prop))
/******/ })();
/******/ 
/************************************************************************/
/******/ 
/******/ // startup
/******/ // Load entry module and return exports
/******/ // This entry module used 'module' so it can't be inlined
/******/ var __webpack_exports__ = __nccwpck_require__(581);
/******/ __webpack_exports__ = await __webpack_exports__;
/******/ 
