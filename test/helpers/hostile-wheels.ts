// Hostile wheels for the zip-reading cases of issue 12, written byte by byte with Python's
// struct and zlib (no binary fixtures): each is `evilpkg-1.0-py3-none-any.whl`, valid METADATA
// and WHEEL, plus the one thing wrong with it.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { TOOLS_BIN } from './run-action.js'

export const HOSTILE_WHEEL = 'evilpkg-1.0-py3-none-any.whl'

const GENERATOR = String.raw`
import struct, sys, zlib
case, path = sys.argv[1], sys.argv[2]
INFO = 'evilpkg-1.0.dist-info'

def deflate(data):
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()

def entry(name, content=b'', method=8, mode=0o100644, **over):
    data = deflate(content) if method == 8 else content
    e = dict(name=name, local_name=name, method=method, crc=zlib.crc32(content),
             csize=len(data), usize=len(content), data=data, mode=mode)
    e.update(over)
    return e

def base():
    return [
        entry(INFO + '/METADATA', b'Metadata-Version: 2.1\nName: evilpkg\nVersion: 1.0\n'),
        entry(INFO + '/WHEEL', b'Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n'),
        entry(INFO + '/RECORD', b''),
        entry('evilpkg/__init__.py', b'X = 1\n'),
    ]

def zip_bytes(entries, start=0, count=None, comment=b'', tail=b''):
    """Local entries, then the central directory, then the end record. An entry with
    'at' set is a central record only, pointing at that earlier entry's local header."""
    out, cd, offsets, by_name = bytearray(), bytearray(), [], {}
    for e in entries:
        if 'at' in e:
            offsets.append(None)
            continue
        offsets.append(start + len(out))
        by_name[e['name']] = offsets[-1]
        lname = e['local_name'].encode()
        out += struct.pack('<IHHHHHIIIHH', 0x04034b50, 20, 0, e['method'], 0, 0x21, e['crc'],
                           e['csize'], e['usize'], len(lname), 0) + lname + e['data']
    for e, own in zip(entries, offsets):
        name = e['name'].encode()
        offset = by_name[e['at']] if 'at' in e else own
        cd += struct.pack('<IHHHHHHIIIHHHHHII', 0x02014b50, 0x314, 20, 0, e['method'], 0, 0x21,
                          e['crc'], e['csize'], e['usize'], len(name), 0, 0, 0, 0,
                          e['mode'] << 16, offset) + name
    n = len(entries) if count is None else count
    return out, cd, struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, n, n, len(cd),
                                start + len(out), len(comment))

def whole(entries, **kw):
    out, cd, end = zip_bytes(entries, **kw)
    return out + cd + end

if case == 'two-end-records':
    # pip (zipfile) takes the last end record; the action once took the earlier one whose
    # comment reaches the end of the file. B is what pip sees, A what the action shipped.
    a_local, a_cd, _ = zip_bytes(base() + [entry('evilpkg/backdoor.py', b'import os\n')])
    b_local, b_cd, _ = zip_bytes(base(), start=len(a_local))
    b_cd_at = len(a_local) + len(b_local) + len(a_cd) + 22
    n_b = len(base())
    b_end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, n_b, n_b, len(b_cd), b_cd_at, 0)
    comment = bytes(b_cd) + b_end + b'\0'
    n_a = n_b + 1
    a_end = struct.pack('<IHHHHIIH', 0x06054b50, 0, 0, n_a, n_a, len(a_cd),
                        len(a_local) + len(b_local), len(comment))
    data = a_local + b_local + a_cd + a_end + comment
elif case == 'count-short':
    # 70,004 entries and no zip64: the 16-bit count wraps to 4,468.
    entries = base() + [entry('evilpkg/m%05d.py' % i, method=0) for i in range(70000)]
    data = whole(entries, count=len(entries) & 0xFFFF)
elif case == 'bad-crc':
    e = entry('evilpkg/mod.py', b'x = 1\n' * 200)
    e['crc'] ^= 1
    data = whole(base() + [e])
elif case == 'bad-deflate':
    e = entry('evilpkg/mod.py', b'x = 1\n' * 200)
    e['data'] = b'\xff' * len(e['data'])
    data = whole(base() + [e])
elif case == 'stored-size-lie':
    e = entry('evilpkg/mod.py', b'x = 1\n' * 200, method=0)
    e['usize'] += 10
    data = whole(base() + [e])
elif case == 'size-lie':
    # 300 MiB of zeros declared as 1,000 bytes with the CRC of those 1,000: zipfile (pip)
    # installs 1,000 bytes; a verbatim copy would ship 300 MiB.
    c = zlib.compressobj(1, zlib.DEFLATED, -15)
    chunk = bytes(1 << 20)
    stream = b''.join(c.compress(chunk) for _ in range(300)) + c.flush()
    e = dict(entry('evilpkg/big.bin'), data=stream, csize=len(stream), usize=1000,
             crc=zlib.crc32(bytes(1000)))
    data = whole(base() + [e])
elif case == 'overlap':
    # 240 central records share one 1 MiB entry's bytes.
    big = entry('evilpkg/big.bin', bytes(range(256)) * 4096)
    copies = [dict(big, name='evilpkg/copy%03d.bin' % i, at='evilpkg/big.bin') for i in range(240)]
    data = whole(base() + [big] + copies)
elif case == 'local-name':
    data = whole(base() + [entry('evilpkg/good.py', b'X = 1\n', local_name='evilpkg/evil.py')])
elif case == 'bomb-so':
    # An .so whose deflate stream opens with 1 MiB of empty stored blocks, then 2 GiB of
    # zeros, declared honestly. Each 1 MiB is compressed alone and sync-flushed, so copies
    # of it chain into one stream quickly.
    c = zlib.compressobj(9, zlib.DEFLATED, -15)
    mib = bytes(1 << 20)
    piece = c.compress(mib) + c.flush(zlib.Z_SYNC_FLUSH)
    empty_blocks = b'\x00\x00\x00\xff\xff' * ((1 << 20) // 5)
    stream = empty_blocks + piece * 2048 + b'\x03\x00'
    crc = 0
    for _ in range(2048):
        crc = zlib.crc32(mib, crc)
    e = dict(entry('evilpkg/_bomb.so'), data=stream, csize=len(stream), usize=2048 << 20, crc=crc)
    data = whole(base() + [e])
elif case == 'no-metadata':
    data = whole([e for e in base() if not e['name'].endswith('/METADATA')])
elif case == 'wrong-dist-info':
    data = whole([dict(e, name=e['name'].replace(INFO, 'other-1.0.dist-info'),
                       local_name=e['name'].replace(INFO, 'other-1.0.dist-info')) for e in base()])
else:
    names = {
        'dot-slash-handler': [('./app.py', b'EVIL = 1\n')],
        'dot-segments': [('evilpkg/x.py', b'A = 1\n'), ('evilpkg/./x.py', b'B = 1\n'),
                         ('evilpkg/y.py', b'A = 1\n'), ('evilpkg//y.py', b'B = 1\n')],
        'data-backslash': [('evilpkg-1.0.data/purelib/\\x', b'')],
        'data-drive': [('evilpkg-1.0.data/platlib/C:/x', b'')],
        'data-absolute': [('evilpkg-1.0.data/purelib//tmp/x', b'')],
        'file-folder': [('app.py/evil.py', b'')],
        'symlink-child': [('evilpkg/link', b'/etc'), ('evilpkg/link/x.py', b'')],
        'dot-entry': [('.', b'')],
        'long-component': [('evilpkg/' + 'a' * 256 + '.py', b'')],
        'many-duplicates': [('evilpkg/dup.py', b'D = %d\n' % i) for i in range(20000)],
    }[case]
    modes = {'evilpkg/link': 0o120777}
    data = whole(base() + [entry(n, c, mode=modes.get(n, 0o100644)) for n, c in names])
with open(path, 'wb') as f:
    f.write(data)
`

export const HOSTILE_CASES = [
  'two-end-records',
  'count-short',
  'bad-crc',
  'bad-deflate',
  'stored-size-lie',
  'size-lie',
  'overlap',
  'local-name',
  'bomb-so',
  'no-metadata',
  'wrong-dist-info',
  'dot-slash-handler',
  'dot-segments',
  'data-backslash',
  'data-drive',
  'data-absolute',
  'file-folder',
  'symlink-child',
  'dot-entry',
  'long-component',
  'many-duplicates'
] as const
export type HostileCase = (typeof HOSTILE_CASES)[number]

export function python(): string {
  const venv = join(TOOLS_BIN, 'python')
  return existsSync(venv) ? venv : 'python3'
}

/** Writes `<dir>/evilpkg-1.0-py3-none-any.whl` for `hostileCase`; returns its path. */
export function writeHostileWheel(dir: string, hostileCase: HostileCase): string {
  mkdirSync(dir, { recursive: true })
  const path = join(dir, HOSTILE_WHEEL)
  execFileSync(python(), ['-c', GENERATOR, hostileCase, path])
  return path
}
