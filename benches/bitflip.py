#!/usr/bin/env python3
"""The bit-flip experiment of docs/faults.md (fault 1): three shards of the default scenario at
--replications 20, N random single-bit flips (byte and bit drawn with seed 24) in shard 1's
cells.bin, each merged and compared with the undamaged merge.

Usage: python3 benches/bitflip.py target/release/drainsim /tmp/bitflip [N=200]
"""
import os, random, shutil, subprocess, sys, filecmp
exe, work = sys.argv[1], sys.argv[2]
n = int(sys.argv[3]) if len(sys.argv) > 3 else 200
if os.path.exists(work) and os.listdir(work):
    sys.exit(f"{work}: give a new or empty folder (nothing is deleted)")
os.makedirs(work, exist_ok=True); os.chdir(work)
for k in range(3):
    subprocess.run([exe, "run", "--replications", "20", "--shard", f"{k}/3", "--out", f"s{k}", "--quiet"], check=True)
subprocess.run([exe, "merge", "s0", "s1", "s2", "--out", "base", "--quiet"], check=True)
data = open("s1/cells.bin", "rb").read()
rng = random.Random(24)
counts = {"refused": 0, "identical": 0, "silent change": 0, "other": 0}
examples = {}
for i in range(n):
    byte, bit = rng.randrange(len(data)), rng.randrange(8)
    shutil.rmtree("f", ignore_errors=True); shutil.copytree("s1", "f")
    b = bytearray(data); b[byte] ^= 1 << bit
    open("f/cells.bin", "wb").write(b)
    shutil.rmtree("out", ignore_errors=True)
    p = subprocess.run([exe, "merge", "s0", "f", "s2", "--out", "out", "--quiet"], capture_output=True, text=True)
    if p.returncode == 2:
        kind = "refused"
    elif p.returncode in (0, 1):
        names = sorted(os.listdir("base"))
        same = names == sorted(os.listdir("out")) and all(filecmp.cmp(f"base/{x}", f"out/{x}", shallow=False) for x in names)
        kind = "identical" if same else "silent change"
    else:
        kind = "other"
    counts[kind] += 1
    examples.setdefault(kind, f"byte {byte} bit {bit}: exit {p.returncode}: {p.stderr.strip()[:300]}")
    print(i, byte, bit, kind, p.returncode, flush=True)
print("file bytes", len(data))
print(counts)
for k, v in examples.items():
    print(k, "e.g.", v)
