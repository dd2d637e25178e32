/**
 * The `-r` hook (spec §11.7, decision A12): a user function called once with the list of domains after all server
 * sockets are bound and before serving. pafd imports a Python `module.function` and passes its live server
 * objects; rxpaf runs JavaScript hooks in-process and Python hooks in a `python3` subprocess.
 */
import { spawn } from 'node:child_process';
import { createRequire, isBuiltin } from 'node:module';
import { resolve as resolvePath } from 'node:path';
import { either as E } from 'fp-ts';

/** Where and how to run a hook. */
export interface HookOptions {
  /** Environment of the Python subprocess (default `process.env`; `PYTHONPATH` is honoured by Python). */
  env?: NodeJS.ProcessEnv;
  /** Directory relative JS paths and Node modules are resolved from, and the subprocess's cwd (default cwd). */
  cwd?: string;
  /** Python interpreter (default `python3`). */
  python?: string;
  /** Kill the Python hook and fail after this many milliseconds (default: wait indefinitely, like pafd). */
  timeoutMs?: number;
}

/** How a hook specification was resolved. */
export type HookTarget = { kind: 'js'; path: string; fn: string } | { kind: 'python'; module: string; fn: string };

const JS_FILE = /^(.+\.c?js)[:#]([A-Za-z_$][\w$]*)$/;
const PY_SCRIPT =
  'import importlib, sys\n' + 'getattr(importlib.import_module(sys.argv[1]), sys.argv[2])([None] * int(sys.argv[3]))\n';

const nodeRequire = createRequire(__filename);

/** First line of an error's message (duck-typed: errors may come from another realm). */
const firstLine = (e: unknown): string => {
  const message = (e as { message?: unknown } | null)?.message;
  return (typeof message === 'string' ? message : String(e)).split('\n')[0]!;
};

const resolveNodeModule = (module: string, cwd: string): string | undefined => {
  if (isBuiltin(module)) return undefined;
  try {
    return nodeRequire.resolve(module, { paths: [cwd] });
  } catch {
    return undefined;
  }
};

/**
 * Resolves a hook specification, in this order of precedence:
 * 1. `path/to/file.js:fn` or `file.js#fn` (also `.cjs`): a JavaScript file, relative to `cwd`;
 * 2. `module.fn` where `module` (everything before the last `.`) resolves with Node's `require` from `cwd`
 *    (a package in `node_modules` or a relative path such as `./hooks.run`), Node built-ins excluded;
 * 3. otherwise `module.fn` is a Python module and function, imported by `python3` (standard import path).
 * A specification without `.` is an error, as in pafd.
 */
export const resolveHookTarget = (spec: string, cwd: string): E.Either<string, HookTarget> => {
  const file = JS_FILE.exec(spec);
  if (file !== null) return E.right({ kind: 'js', path: resolvePath(cwd, file[1]!), fn: file[2]! });
  const dot = spec.lastIndexOf('.');
  if (dot <= 0 || dot === spec.length - 1) {
    return E.left(`Hook '${spec}' is not of the form <module>.<function>.`);
  }
  const module = spec.slice(0, dot);
  const fn = spec.slice(dot + 1);
  const path = resolveNodeModule(module, cwd);
  return E.right(path === undefined ? { kind: 'python', module, fn } : { kind: 'js', path, fn });
};

const runJs = async (path: string, fn: string, domains: readonly unknown[]): Promise<void> => {
  const mod: unknown = nodeRequire(path);
  const f = typeof mod === 'object' || typeof mod === 'function' ? (mod as Record<string, unknown>)[fn] : undefined;
  if (typeof f !== 'function') throw new Error(`'${fn}' is not a function of '${path}'`);
  await (f as (d: readonly unknown[]) => unknown)(domains);
};

const runPython = (target: { module: string; fn: string }, n: number, opts: HookOptions): Promise<void> =>
  new Promise((resolve, reject) => {
    const python = opts.python ?? 'python3';
    const child = spawn(python, ['-c', PY_SCRIPT, target.module, target.fn, String(n)], {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      stdio: ['ignore', 'inherit', 'pipe'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-65536)));
    const timer = opts.timeoutMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${python}: ${firstLine(e)}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolve();
      const lines = stderr.split('\n').filter((l) => l.trim() !== '');
      const why = lines.length > 0 ? lines[lines.length - 1]!.trim() : `${python} exited with ${code ?? signal}`;
      reject(new Error(signal === 'SIGKILL' && opts.timeoutMs !== undefined ? 'timed out' : why));
    });
  });

/**
 * Runs the hook `spec` (see `resolveHookTarget` for the accepted forms and their precedence). A JavaScript hook
 * is called with `domains` (and awaited if it returns a promise); a Python hook gets a list of `len(domains)`
 * `None` placeholders instead of pafd's server objects (A12: enough for upstream's test, which counts them).
 * Rejects with a one-line `Error`, e.g. `Hook 'x.run' failed: ModuleNotFoundError: No module named 'x'`.
 */
export const runHook = async (spec: string, domains: readonly unknown[], opts: HookOptions = {}): Promise<void> => {
  const target = resolveHookTarget(spec, opts.cwd ?? process.cwd());
  if (E.isLeft(target)) throw new Error(target.left);
  const t = target.right;
  try {
    await (t.kind === 'js' ? runJs(t.path, t.fn, domains) : runPython(t, domains.length, opts));
  } catch (e) {
    throw new Error(`Hook '${spec}' failed: ${firstLine(e)}`);
  }
};
