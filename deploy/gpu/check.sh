#!/usr/bin/env bash
# On a machine with an NVIDIA GPU: builds the GPU variant of the workers (ONNX Runtime's GPU build,
# from this project's Maven registry; nothing else is installed), runs the GPU tests on each GPU
# provider (the same seed gives the same image twice, batching and cancellation: DenoisingEngineTest;
# the shapes model's accuracy through the real services: ShapesModelTest), then prints one table of
# UNet ms per step and images/s per provider, image size and batch, with the CPU beside them.
#
# The GPU needs its driver, CUDA 12 and cuDNN 9 (and TensorRT 10 for the TensorRT provider) on the
# library path: the workers' own check says what is missing. Meant to finish within 10 minutes.
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: deploy/gpu/check.sh [options]
  --providers LIST   GPU providers to test and measure: CUDA, TensorRT or both (default CUDA,TensorRT)
  --device-id N      which GPU (default 0)
  --model DIR        model for the benchmark (default models/shapes; any Stable Diffusion ONNX export)
  --sizes LIST       image sizes for the benchmark, multiples of 8 (default 64,128,512)
  --batches LIST     batches for the benchmark (default 1,2,4,8)
  --steps N          denoising steps per benchmark job (default 10)
  --skip-build       use the GPU variant already built
  --skip-tests       only the benchmark
  -h, --help         this text
USAGE
}

fail_usage() {
  echo "check.sh: $1" >&2
  usage >&2
  exit 64
}

providers="CUDA,TensorRT"
device_id=0
model="models/shapes"
sizes="64,128,512"
batches="1,2,4,8"
steps=10
build=true
tests=true
while [ $# -gt 0 ]; do
  case "$1" in
    --providers) [ $# -ge 2 ] || fail_usage "--providers needs a value"; providers=$2; shift 2 ;;
    --device-id) [ $# -ge 2 ] || fail_usage "--device-id needs a value"; device_id=$2; shift 2 ;;
    --model) [ $# -ge 2 ] || fail_usage "--model needs a value"; model=$2; shift 2 ;;
    --sizes) [ $# -ge 2 ] || fail_usage "--sizes needs a value"; sizes=$2; shift 2 ;;
    --batches) [ $# -ge 2 ] || fail_usage "--batches needs a value"; batches=$2; shift 2 ;;
    --steps) [ $# -ge 2 ] || fail_usage "--steps needs a value"; steps=$2; shift 2 ;;
    --skip-build) build=false; shift ;;
    --skip-tests) tests=false; shift ;;
    -h|--help) usage; exit 0 ;;
    *) fail_usage "unknown option '$1'" ;;
  esac
done

IFS=',' read -r -a provider_list <<< "$providers"
for p in "${provider_list[@]}"; do
  case "$p" in
    CUDA|TensorRT) ;;
    *) fail_usage "--providers takes CUDA and TensorRT, was '$p'" ;;
  esac
done
[[ "$device_id" =~ ^[0-9]+$ ]] || fail_usage "--device-id must be a number, was '$device_id'"
[[ "$steps" =~ ^[1-9][0-9]*$ ]] || fail_usage "--steps must be a positive number, was '$steps'"
IFS=',' read -r -a size_list <<< "$sizes"
for s in "${size_list[@]}"; do
  [[ "$s" =~ ^[1-9][0-9]*$ ]] && [ $((s % 8)) -eq 0 ] \
    || fail_usage "--sizes takes multiples of 8, was '$s'"
done
IFS=',' read -r -a batch_list <<< "$batches"
for b in "${batch_list[@]}"; do
  [[ "$b" =~ ^[1-9][0-9]*$ ]] || fail_usage "--batches takes positive numbers, was '$b'"
done

cd "$(dirname "$0")/../.."
root=$(pwd)
[ -f "$model/unet/model.onnx" ] || fail_usage "--model: $model/unet/model.onnx does not exist"
model=$(cd "$model" && pwd)

# The GPU first: everything after it takes minutes.
if [ ! -r /proc/driver/nvidia/version ] && ! command -v nvidia-smi >/dev/null 2>&1; then
  echo "check.sh: no NVIDIA GPU here (no /proc/driver/nvidia/version, no nvidia-smi)." \
    "Run it on a machine with an NVIDIA GPU and its driver." >&2
  exit 3
fi
gpu="NVIDIA GPU $device_id"
if command -v nvidia-smi >/dev/null 2>&1; then
  gpu=$(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader -i "$device_id" \
    || echo "$gpu")
fi

# shellcheck source=../../launcher/scripts/find-jdk.sh
. "$root/launcher/scripts/find-jdk.sh"
JAVA_HOME=$(t2i_find_jdk) || exit 1
export JAVA_HOME

log_dir="$root/target/gpu-check"
mkdir -p "$log_dir"
props=(-Dai.djl.offline=true -Dai.djl.default_engine=OnnxRuntime "-Dt2i.test.device-id=$device_id")
started=$(date +%s)
declare -A results

if $build; then
  echo "check.sh: building the GPU variant (log: $log_dir/build.log)..."
  if ! ./mvnw -B -Pgpu package -DskipTests > "$log_dir/build.log" 2>&1; then
    tail -n 30 "$log_dir/build.log" >&2
    echo "check.sh: the build failed; the full log is $log_dir/build.log" >&2
    exit 1
  fi
fi

if $tests; then
  for p in "${provider_list[@]}"; do
    for t in DenoisingEngineTest ShapesModelTest; do
      module=diffusion-worker
      [ "$t" = ShapesModelTest ] && module=system-tests
      echo "check.sh: $t on $p (log: $log_dir/$t-$p.log)..."
      if ./mvnw -B -o -Pgpu -pl "$module" surefire:test "-Dtest=$t" \
          -Dsurefire.failIfNoSpecifiedTests=false "-Dt2i.test.execution-provider=$p" "${props[@]}" \
          > "$log_dir/$t-$p.log" 2>&1; then
        results["$t $p"]=passed
      else
        results["$t $p"]="FAILED (see $log_dir/$t-$p.log)"
      fi
    done
  done
fi

echo "check.sh: benchmark (log: $log_dir/benchmark.log)..."
./mvnw -B -o -q -Pgpu -pl diffusion-worker exec:java -Dexec.classpathScope=test \
  -Dexec.mainClass=t2i.diffusion.EngineBenchmark \
  "-Dexec.args=$model CPU,$providers $sizes $batches $steps 2" "${props[@]}" \
  > "$log_dir/benchmark.log" 2>&1 || true

echo
echo "GPU: $gpu"
if $tests; then
  echo
  echo "| test | provider | result |"
  echo "|---|---|---|"
  for p in "${provider_list[@]}"; do
    for t in DenoisingEngineTest ShapesModelTest; do
      echo "| $t | $p | ${results["$t $p"]} |"
    done
  done
fi
echo
grep -E '^(model |\|)' "$log_dir/benchmark.log" || {
  echo "check.sh: the benchmark printed no table; see $log_dir/benchmark.log" >&2
  exit 1
}
echo
echo "check.sh: done in $(( $(date +%s) - started )) s"
for result in "${results[@]}"; do
  [ "$result" = passed ] || exit 1
done
