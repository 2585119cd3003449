// The Python program that compiles .pyc files, run by a CPython of the runtime's minor:
// `python -s -S -B -c COMPILE_SCRIPT jobs.json`. Each job names a source file, the path the
// source will have on Lambda (recorded as the module's file name) and where the .pyc goes.
// It prints one JSON line: the interpreter's magic number and cache tag, and the jobs that did
// not compile (a syntax error; the runtime would fail on the same file).
//
// Same inputs, same bytes:
// - checked-hash .pyc files (PEP 552) hold a hash of the source, not its mtime;
// - PYTHONHASHSEED=0 (set by the caller) fixes the order of frozenset constants;
// - CPython 3.9 and 3.10 mark an object as shared in marshal data by its reference count, which
//   earlier compiles in the same process change (seen: 88 of 1,871 numpy + pandas files came out
//   different when compiled in another order). There each file is compiled in a child forked
//   from the same state. 3.11+ gave the same bytes in every order.
export const COMPILE_SCRIPT = `
import json, os, py_compile, sys, warnings
from importlib.util import MAGIC_NUMBER

jobs = json.load(open(sys.argv[1]))
mode = py_compile.PycInvalidationMode.CHECKED_HASH
# Warnings a compile raises (invalid escapes, "is" with a literal) belong to the package; a .pyc
# holds none, so the runtime would not print them either.
warnings.simplefilter('ignore')

def compile_one(job):
    try:
        py_compile.compile(job['source'], cfile=job['out'], dfile=job['dfile'], doraise=True, invalidation_mode=mode)
        return None
    except py_compile.PyCompileError as error:
        return error.msg.strip().splitlines()[-1]

def compile_forked(job):
    error_file = job['out'] + '.error'
    pid = os.fork()
    if pid == 0:
        code = 0
        try:
            problem = compile_one(job)
            if problem is not None:
                with open(error_file, 'w') as out:
                    out.write(problem)
                code = 1
        except BaseException as error:
            code = 2
        os._exit(code)
    _, status = os.waitpid(pid, 0)
    if status == 0:
        return None
    if os.path.exists(error_file):
        with open(error_file) as problem:
            return problem.read()
    return 'the compiler process failed (status %d)' % status

one = compile_forked if sys.version_info < (3, 11) else compile_one
failed = {}
for index, job in enumerate(jobs):
    problem = one(job)
    if problem is not None:
        failed[index] = problem
print(json.dumps({'magic': MAGIC_NUMBER.hex(), 'cacheTag': sys.implementation.cache_tag, 'failed': failed}))
`
