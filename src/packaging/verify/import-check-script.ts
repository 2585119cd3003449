// The Python program the import check runs (`python -I -S`: no environment settings, no
// site-packages of the interpreter): given the built zips unpacked as Lambda unpacks them
// (function at the task root, a layer under /opt; see package-tree.ts) and Lambda's own copies
// of boto3 and its dependencies, it imports the handler module with Lambda's sys.path: the task
// root, the layer, the standard library, then what the runtime provides. Nothing of the runner's
// Python setup is on it.
//
// It prints, last on stdout, one JSON line: `{"loaded": {"function": [...], "layer": [...]}}`,
// the files the import loaded from each package: module files, and shared objects mapped into
// the process. When the import fails, it prints the
// traceback and then, last on stderr, `FAILURE_MARKER {json}` saying what failed (see
// import-failure.ts), and exits non-zero.

export const FAILURE_MARKER = 'lambda-python-deploy-import-failure'

export const IMPORT_CHECK_SCRIPT = `
import importlib, json, os, re, sys, traceback
args = json.loads(sys.argv[1])
task_root = args['taskRoot']
roots = {'function': task_root}
front = [task_root]
if args.get('optRoot'):
    opt = args['optRoot']
    roots['layer'] = opt
    front += [os.path.join(opt, 'python', 'lib', 'python%d.%d' % sys.version_info[:2], 'site-packages'), os.path.join(opt, 'python')]
stdlib = [p for p in sys.path if p and 'site-packages' not in p and 'dist-packages' not in p]
sys.path[:] = front + stdlib + args['runtimeProvided']
os.chdir(task_root)

def in_package(path):
    if not os.path.isabs(path):
        return None
    path = os.path.realpath(path)
    for name, root in roots.items():
        root = os.path.realpath(root) + os.sep
        if path.startswith(root):
            return name, path[len(root):].replace(os.sep, '/')
    return None

def fail(kind, error, **fields):
    traceback.print_exc()
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        found = in_package(frame.filename)
        if found:
            fields['file'], fields['line'] = found[1], frame.lineno
            break
    if kind == 'syntax':
        found = in_package(error.filename) if getattr(error, 'filename', None) else None
        if found:
            fields['file'], fields['line'] = found[1], error.lineno
    fields['kind'] = kind
    fields['error'] = ''.join(traceback.format_exception_only(type(error), error)).strip().splitlines()[-1][-500:]
    print('${FAILURE_MARKER} ' + json.dumps(fields), file=sys.stderr)
    sys.exit(2)

try:
    module = importlib.import_module(args['module'])
except KeyError as error:
    last = traceback.extract_tb(error.__traceback__)[-1]
    if last.name == '__getitem__' and (last.filename == '<frozen os>' or os.path.basename(last.filename) == 'os.py'):
        fail('environ', error, variable=str(error.args[0]) if error.args else '')
    fail('exception', error)
except ModuleNotFoundError as error:
    fail('module', error, name=error.name or '')
except ImportError as error:
    message = str(error)
    library = re.search(r'([^\\s:/]+): cannot open shared object file', message)
    glibc = re.search(r"version \`(GLIBC_[0-9.]+)' not found", message)
    found = in_package(error.path) if getattr(error, 'path', None) else None
    module_file = found[1] if found else ''
    if library:
        fail('library', error, library=library.group(1), module=module_file)
    if glibc:
        fail('glibc', error, version=glibc.group(1), module=module_file)
    fail('exception', error)
except SyntaxError as error:
    fail('syntax', error)
except BaseException as error:
    fail('exception', error)
if not callable(getattr(module, args['function'], None)):
    print("Runtime.HandlerNotFound: module '%s' has no function '%s'" % (args['module'], args['function']), file=sys.stderr)
    print('${FAILURE_MARKER} ' + json.dumps({'kind': 'handler'}), file=sys.stderr)
    sys.exit(3)
print('imported %s from the package' % args['module'])
loaded = {name: set() for name in roots}
paths = [getattr(mod, '__file__', None) for mod in list(sys.modules.values())]
# Shared objects mapped into the process: extension modules a package imported and then took
# out of sys.modules (cv2 does), and libraries loaded through ctypes.
try:
    with open('/proc/self/maps') as maps:
        paths += [line.split(None, 5)[5].strip() for line in maps if len(line.split(None, 5)) == 6]
except OSError:
    pass
for path in paths:
    found = in_package(path) if path else None
    if found:
        loaded[found[0]].add(found[1])
print(json.dumps({'loaded': {name: sorted(files) for name, files in loaded.items()}}))
`
