import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { either as E } from 'fp-ts';
import { resolveHookTarget, runHook } from '../../lib/server/hook';

const domains = [{ name: 'd0', addresses: ['ux:a'] }];

describe('runHook', () => {
  let dir: string;
  const pythonEnv = (): NodeJS.ProcessEnv => ({
    ...process.env,
    PYTHONPATH: [dir, process.env.PYTHONPATH].filter((p) => p !== undefined && p !== '').join(':'),
  });
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rxpaf-hook-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  describe('Python hooks', () => {
    it('should pass test_daemon_hook: one placeholder per domain, found through PYTHONPATH (§11.7)', async () => {
      writeFileSync(join(dir, 'hook.py'), 'def run(servers): open("hook.tmp","w+").write("%d" % len(servers))\n');
      await runHook('hook.run', domains, { env: pythonEnv(), cwd: dir });
      expect(readFileSync(join(dir, 'hook.tmp'), 'utf8')).toBe('1');
    });

    it('should find the module through PYTHONPATH only, not the hook directory', async () => {
      const libDir = join(dir, 'lib');
      mkdirSync(libDir);
      writeFileSync(join(libDir, 'elsewhere.py'), 'def run(s): open("e.tmp","w").write(str(len(s)))\n');
      const env = { ...process.env, PYTHONPATH: libDir };
      await runHook('elsewhere.run', [1, 2], { env, cwd: dir });
      expect(readFileSync(join(dir, 'e.tmp'), 'utf8')).toBe('2');
      await expect(runHook('elsewhere.run', [1], { env: { ...env, PYTHONPATH: '' }, cwd: dir })).rejects.toThrow(
        "No module named 'elsewhere'",
      );
    });

    it('should import dotted package modules', async () => {
      mkdirSync(join(dir, 'pkg'));
      writeFileSync(join(dir, 'pkg', '__init__.py'), '');
      writeFileSync(join(dir, 'pkg', 'mod.py'), 'def f(s):\n  open("n.tmp","w").write(repr(s))\n');
      await runHook('pkg.mod.f', [1, 2, 3], { env: pythonEnv(), cwd: dir });
      expect(readFileSync(join(dir, 'n.tmp'), 'utf8')).toBe('[None, None, None]');
    });

    it('should reject with the Python exception when the module cannot be imported', async () => {
      await expect(runHook('nohook_xyz.run', domains, { env: pythonEnv(), cwd: dir })).rejects.toThrow(
        "Hook 'nohook_xyz.run' failed: ModuleNotFoundError: No module named 'nohook_xyz'",
      );
    });

    it('should reject when the function is missing or raises', async () => {
      writeFileSync(join(dir, 'bad.py'), 'def run(servers):\n    raise RuntimeError("boom")\n');
      await expect(runHook('bad.run', domains, { env: pythonEnv(), cwd: dir })).rejects.toThrow(
        "Hook 'bad.run' failed: RuntimeError: boom",
      );
      await expect(runHook('bad.nothing', domains, { env: pythonEnv(), cwd: dir })).rejects.toThrow(
        /^Hook 'bad.nothing' failed: AttributeError: .*'nothing'/,
      );
    });

    it('should reject when the interpreter cannot be run', async () => {
      await expect(runHook('hook.run', domains, { cwd: dir, python: join(dir, 'no-python') })).rejects.toThrow(
        /^Hook 'hook.run' failed: cannot run .*no-python: spawn .*ENOENT$/,
      );
    });

    it('should kill a hook that outlives its timeout', async () => {
      writeFileSync(join(dir, 'slow.py'), 'import time\ndef run(s): time.sleep(30)\n');
      await expect(runHook('slow.run', domains, { env: pythonEnv(), cwd: dir, timeoutMs: 300 })).rejects.toThrow(
        "Hook 'slow.run' failed: timed out",
      );
    });
  });

  describe('JavaScript hooks', () => {
    const jsHook =
      'exports.run = (domains) => require("fs").writeFileSync(__dirname + "/js.tmp", JSON.stringify(domains));\n' +
      'exports.later = async () => { await new Promise((r) => setTimeout(r, 10)); throw new Error("async boom"); };\n' +
      'exports.notFn = 5;\n';

    it.each(['./hooks.js:run', 'hooks.js#run', './hooks.run'])('should call %s with the domains', async (spec) => {
      writeFileSync(join(dir, 'hooks.js'), jsHook);
      await runHook(spec, domains, { cwd: dir });
      expect(JSON.parse(readFileSync(join(dir, 'js.tmp'), 'utf8'))).toEqual(domains);
    });

    it('should call a function of a package in node_modules before trying Python', async () => {
      mkdirSync(join(dir, 'node_modules', 'myhook'), { recursive: true });
      writeFileSync(join(dir, 'node_modules', 'myhook', 'index.js'), jsHook);
      writeFileSync(join(dir, 'myhook.py'), 'def run(s): open("py.tmp","w").write("py")\n');
      await runHook('myhook.run', domains, { cwd: dir, env: pythonEnv() });
      expect(readFileSync(join(dir, 'node_modules', 'myhook', 'js.tmp'), 'utf8')).toBe(JSON.stringify(domains));
    });

    it('should reject when the export is not a function, or the hook throws or rejects', async () => {
      writeFileSync(join(dir, 'hooks.js'), jsHook);
      await expect(runHook('hooks.js:notFn', domains, { cwd: dir })).rejects.toThrow(
        /^Hook 'hooks.js:notFn' failed: 'notFn' is not a function of '.*hooks.js'$/,
      );
      await expect(runHook('hooks.js:later', domains, { cwd: dir })).rejects.toThrow(
        "Hook 'hooks.js:later' failed: async boom",
      );
      await expect(runHook('missing.js:run', domains, { cwd: dir })).rejects.toThrow(
        /^Hook 'missing.js:run' failed: Cannot find module '.*missing.js'/,
      );
    });
  });

  it.each(['hook', 'hook.', '.run', ''])(
    'should reject the specification %j, which has no module.function',
    async (spec) => {
      await expect(runHook(spec, domains, { cwd: dir })).rejects.toThrow(
        `Hook '${spec}' is not of the form <module>.<function>.`,
      );
    },
  );
});

describe('resolveHookTarget', () => {
  it('should not take Node built-in modules for JavaScript hooks', () => {
    expect(resolveHookTarget('os.getcwd', tmpdir())).toEqual(E.right({ kind: 'python', module: 'os', fn: 'getcwd' }));
  });

  it('should take everything before the last dot as the Python module', () => {
    expect(resolveHookTarget('a.b.c', tmpdir())).toEqual(E.right({ kind: 'python', module: 'a.b', fn: 'c' }));
  });
});
