// The Python program the import check runs in a clean interpreter (`python -I`): given the
// built zips unpacked as Lambda unpacks them (function at the task root, a layer under /opt; see
// package-tree.ts), it imports the handler module from them alone. Lambda's Python runtimes ship boto3 and botocore (and their
// dependencies), so those, and only those, may still come from the host's site-packages.
export const RUNTIME_PROVIDED_MODULES = [
  'boto3',
  'botocore',
  's3transfer',
  'jmespath',
  'dateutil',
  'urllib3',
  'six',
  'awslambdaric'
] as const

export const IMPORT_CHECK_SCRIPT = `
import importlib, importlib.machinery, json, os, sys
args = json.loads(sys.argv[1])
task_root = args['taskRoot']
paths = [task_root]
if args.get('optRoot'):
    paths.append(os.path.join(args['optRoot'], 'python'))
host_site = [p for p in sys.path if 'site-packages' in p or 'dist-packages' in p]
sys.path[:] = paths + [p for p in sys.path if p and p not in host_site]
provided = set(args['runtimeProvided'])

class RuntimeProvided:
    def find_spec(self, name, path=None, target=None):
        if path is not None or name.split('.')[0] not in provided:
            return None
        return importlib.machinery.PathFinder.find_spec(name, host_site)

sys.meta_path.append(RuntimeProvided())
os.chdir(task_root)
module = importlib.import_module(args['module'])
if not callable(getattr(module, args['function'], None)):
    print("Runtime.HandlerNotFound: module '%s' has no function '%s'" % (args['module'], args['function']), file=sys.stderr)
    sys.exit(3)
print('imported %s from the package' % args['module'])
roots = {'function': task_root}
if args.get('optRoot'):
    roots['layer'] = args['optRoot']
loaded = {name: set() for name in roots}
for mod in list(sys.modules.values()):
    path = getattr(mod, '__file__', None)
    if not path:
        continue
    path = os.path.realpath(path)
    for name, root in roots.items():
        root = os.path.realpath(root) + os.sep
        if path.startswith(root):
            loaded[name].add(path[len(root):].replace(os.sep, '/'))
print(json.dumps({'loaded': {name: sorted(files) for name, files in loaded.items()}}))
`
