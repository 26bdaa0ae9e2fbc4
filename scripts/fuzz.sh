#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR/fuzz for SECONDS each, on a seed corpus made
# from the golden fixtures plus a few tiny hand-made files. Exits non-zero on any crash,
# leak, timeout or out-of-memory (the reproducer is left in BUILD_DIR/fuzz-artifacts).
# usage: scripts/fuzz.sh BUILD_DIR SECONDS
set -euo pipefail
build=${1:?usage: scripts/fuzz.sh BUILD_DIR SECONDS}
seconds=${2:?usage: scripts/fuzz.sh BUILD_DIR SECONDS}
root=$(cd "$(dirname "$0")/.." && pwd)
fixtures=${HEXGPU_FIXTURES:-$root/tests/fixtures}
seeds=$build/fuzz-seeds
artifacts=$build/fuzz-artifacts
mkdir -p "$seeds"/{safetensors,torch_zip,pickle,gzip} "$artifacts"

# Seeds: the fixtures in their forms, data.pkl pulled out of the zips, and small files.
for dir in "$fixtures"/*/; do
  name=$(basename "$dir")
  [ -f "$dir/model.safetensors" ] && cp "$dir/model.safetensors" "$seeds/safetensors/$name.safetensors"
  for pt in state_dict checkpoint; do
    [ -f "$dir/$pt.pt" ] && cp "$dir/$pt.pt" "$seeds/torch_zip/$name-$pt.pt"
  done
  [ -f "$dir/checkpoint.pt.gz" ] && cp "$dir/checkpoint.pt.gz" "$seeds/gzip/$name-checkpoint.pt.gz"
  if command -v python3 >/dev/null; then
    python3 - "$dir" "$seeds/pickle/$name" <<'PY'
import sys, zipfile
for pt in ("state_dict.pt", "checkpoint.pt"):
    try:
        z = zipfile.ZipFile(sys.argv[1] + "/" + pt)
    except OSError:
        continue
    pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
    open(sys.argv[2] + "-" + pt + ".pkl", "wb").write(z.read(pkl))
PY
  fi
done
header='{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"board_size":"13"}}'
{ printf "\\x$(printf %02x ${#header})\\x00\\x00\\x00\\x00\\x00\\x00\\x00"; printf '%s' "$header"; printf '\x00\x00\x80\x3f\x00\x00\x00\x40'; } \
  >"$seeds/safetensors/small.safetensors"
printf '\x80\x02}q\x00X\x01\x00\x00\x00aK\x01s.' >"$seeds/pickle/small.pkl"
if command -v python3 >/dev/null; then
  # A tiny torch.save-shaped archive (stand-in torch module: nothing imports torch).
  python3 - "$seeds" <<'PY'
import collections, io, pickle, struct, sys, types, zipfile, gzip
torch = types.ModuleType("torch"); utils = types.ModuleType("torch._utils")
class FloatStorage: pass
class LongStorage: pass
FloatStorage.__module__ = LongStorage.__module__ = "torch"
torch.FloatStorage, torch.LongStorage = FloatStorage, LongStorage
def _rebuild_tensor_v2(*args): pass
_rebuild_tensor_v2.__module__ = "torch._utils"
utils._rebuild_tensor_v2 = _rebuild_tensor_v2
sys.modules["torch"], sys.modules["torch._utils"] = torch, utils
class T:
    def __init__(self, st, key, n, size, stride): self.a = (("storage", st, key, "cpu", n), 0, size, stride)
    def __reduce__(self): return (_rebuild_tensor_v2, (S(self.a[0]),) + self.a[1:] + (False, collections.OrderedDict()))
class S:
    def __init__(self, pid): self.pid = pid
class P(pickle.Pickler):
    def persistent_id(self, obj): return obj.pid if isinstance(obj, S) else None
sd = collections.OrderedDict([("w", T(FloatStorage, "0", 4, (2, 2), (2, 1))), ("n", T(LongStorage, "1", 1, (), ()))])
buf = io.BytesIO(); P(buf, protocol=2).dump({"model_state_dict": sd, "epoch": 3, "lr": [0.1]})
out = io.BytesIO()
with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
    z.writestr("archive/data.pkl", buf.getvalue()); z.writestr("archive/byteorder", "little")
    z.writestr("archive/data/0", struct.pack("<4f", 1, 2, 3, 4)); z.writestr("archive/data/1", struct.pack("<q", 7))
d = sys.argv[1]
open(d + "/torch_zip/small.pt", "wb").write(out.getvalue())
open(d + "/pickle/small-trainer.pkl", "wb").write(buf.getvalue())
open(d + "/gzip/small.pt.gz", "wb").write(gzip.compress(out.getvalue()))
PY
fi
gzip -c "$seeds/safetensors/small.safetensors" >"$seeds/gzip/small.gz"

status=0
for target in safetensors torch_zip pickle gzip; do
  bin=$build/fuzz/fuzz_$target
  if [ ! -x "$bin" ]; then
    echo "fuzz.sh: $bin is missing (configure with CC=clang -DHEXGPU_FUZZ=ON)" >&2
    exit 2
  fi
  corpus=$build/fuzz-corpus/$target
  mkdir -p "$corpus"
  echo "== fuzz_$target for ${seconds}s"
  if ! "$bin" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=2048 -max_len=65536 \
      -artifact_prefix="$artifacts/$target-" -print_final_stats=1 "$corpus" "$seeds/$target" \
      >"$build/fuzz-$target.log" 2>&1; then
    echo "fuzz_$target FAILED: see $build/fuzz-$target.log and $artifacts" >&2
    tail -40 "$build/fuzz-$target.log" >&2
    status=1
  else
    grep -E "stat::number_of_executed_units|stat::new_units_added" "$build/fuzz-$target.log" || true
  fi
done
exit $status
