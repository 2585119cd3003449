// The Python program the import check runs in a clean interpreter (`python -I -B`): it unpacks
// the built zips as Lambda does (function at the task root, a layer under /opt) and imports the
// handler module from them alone. Lambda's Python runtimes ship boto3 and botocore (and their
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

/** The script's exit status when a package does not extract: a broken zip, not a missing import. */
export const UNREADABLE_PACKAGE_STATUS = 4

export const IMPORT_CHECK_SCRIPT = `
import importlib, importlib.machinery, json, os, sys, zipfile
args = json.loads(sys.argv[1])
task_root = os.path.join(args['workDir'], 'task')
opt = os.path.join(args['workDir'], 'opt')
def extract(path, into):
    try:
        with zipfile.ZipFile(path) as package:
            package.extractall(into)
    except Exception as error:
        print('%s: %s' % (path, error), file=sys.stderr)
        sys.exit(UNREADABLE)
UNREADABLE = ${UNREADABLE_PACKAGE_STATUS}
extract(args['functionZip'], task_root)
paths = [task_root]
if args.get('layerZip'):
    extract(args['layerZip'], opt)
    paths.append(os.path.join(opt, 'python'))
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
`
