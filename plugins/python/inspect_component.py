"""Tiny component-model binary inspector: top-level imports/exports, core modules'
memories/tables, count of core instances. No dependencies."""
import sys

def leb(b, i):
    r = s = 0
    while True:
        x = b[i]; i += 1
        r |= (x & 0x7f) << s; s += 7
        if x < 0x80: return r, i

def name(b, i):
    n, i = leb(b, i); return b[i:i+n].decode(), i + n

def limits(b, i):
    flag = b[i]; i += 1
    mn, i = leb(b, i); mx = None
    if flag & 1: mx, i = leb(b, i)
    return flag, mn, mx, i

def core_module(b, base, end, out):
    i = base + 8
    mem, tab, imports = [], [], []
    while i < end:
        sid = b[i]; i += 1
        size, i = leb(b, i); s = i
        if sid == 2:  # imports
            n, j = leb(b, s)
            for _ in range(n):
                m, j = name(b, j); f, j = name(b, j); k = b[j]; j += 1
                if k == 0: _, j = leb(b, j)
                elif k == 1: j += 1; fl, mn, mx, j = limits(b, j); tab.append(("import %s::%s" % (m, f), mn, mx))
                elif k == 2: fl, mn, mx, j = limits(b, j); mem.append(("import %s::%s" % (m, f), mn, mx))
                elif k == 3: j += 2
                elif k == 4: j += 1; _, j = leb(b, j)
                imports.append((m, f, k))
        elif sid == 4:
            n, j = leb(b, s)
            for _ in range(n):
                if b[j] == 0x40: j += 2
                j += 1; fl, mn, mx, j = limits(b, j); tab.append(("defined", mn, mx))
                # (table init expr form 0x40 not handled beyond skip)
        elif sid == 5:
            n, j = leb(b, s)
            for _ in range(n):
                fl, mn, mx, j = limits(b, j); mem.append(("defined", mn, mx))
        i = s + size
    out.append((base, end - base, mem, tab, imports))

def component(b, base, end, depth, res):
    i = base + 8
    while i < end:
        sid = b[i]; i += 1
        size, i = leb(b, i); s = i
        if sid == 1:
            core_module(b, s, s + size, res["modules"])
        elif sid == 2:
            n, _ = leb(b, s); res["core_instances"] += n
        elif sid == 4:
            res["nested_components"] += 1
            component(b, s, s + size, depth + 1, res)
        elif sid == 5:
            n, _ = leb(b, s); res["instances"] += n
        elif sid in (10, 11) and depth == 0:
            n, j = leb(b, s)
            for _ in range(n):
                tag = b[j]; j += 1
                nm, j = name(b, j)
                if tag == 0x01 and sid == 10: _, j = name(b, j)  # legacy version suffix
                if sid == 11:
                    sort = b[j]; j += 1
                    if sort == 0: j += 1
                    _, j = leb(b, j)
                    has_t = b[j]; j += 1
                    res["exports"].append(nm)
                    if has_t:
                        d = b[j]; j += 1
                        if d == 0: j += 1
                        elif d == 3: j += 1
                        _, j = leb(b, j)
                    continue
                d = b[j]; j += 1
                if d == 0: j += 1
                if d == 3: j += 1
                _, j = leb(b, j)
                res["imports"].append((nm, {0: "core-module", 1: "func", 2: "value", 3: "type", 4: "component", 5: "instance"}[d]))
        i = s + size

b = open(sys.argv[1], "rb").read()
assert b[:8] == bytes.fromhex("0061736d0d000100"), b[:8].hex()
res = dict(modules=[], core_instances=0, instances=0, nested_components=0, imports=[], exports=[])
component(b, 0, len(b), 0, res)
print("size:", len(b))
print("top-level imports:")
for nm, kind in res["imports"]: print("  ", kind, nm)
print("top-level exports:", res["exports"])
print("core modules:", len(res["modules"]), "core instances (all levels):", res["core_instances"],
      "component instances:", res["instances"], "nested components:", res["nested_components"])
for k, (off, sz, mem, tab, imps) in enumerate(res["modules"]):
    print("  module %d: %d bytes, memories %s, tables %s, %d imports" % (k, sz, mem, tab, len(imps)))
